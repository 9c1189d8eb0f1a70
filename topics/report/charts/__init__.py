"""One module per dashboard chart; importing this package registers them all.

Each chart is ``chart(data: RunData) -> plotly Figure | HTML fragment (str) | None`` registered in
:data:`topics.registry.charts`; ``None`` means the chart does not apply to this run (no dates,
no labels). HTML fragments must escape any corpus text themselves.
"""

from topics.report.charts import (  # noqa: F401  (imported to register the charts)
    document_map,
    hierarchy,
    labels,
    languages,
    layers,
    over_time,
    similarity,
    topic_words,
    what_changed,
)
