"""Topic layers: a sunburst from the overview groups (inner ring) to the fine topics (outer)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from topics.common import shown_name
from topics.report.charts._common import chart, esc, figure, short
from topics.report.data import RunData


@chart("layers", title="Topic layers", section="relations", order=2)
def layers(data: RunData) -> go.Figure | None:
    """Sunburst of ``layers.csv``: ring area = documents; a click zooms into a group.

    Parameters
    ----------
    data:
        The run.

    Returns
    -------
    plotly.graph_objects.Figure or None
        ``None`` for a run without coarser layers (few topics, ``topics.layers: off``, or a
        run folder written before layers existed).
    """
    table = data.layers
    if table is None or table.empty or int(table["layer"].max()) < 1:
        return None
    top = int(table["layer"].max())
    ids, labels, parents, values, hover = [], [], [], [], []
    for record in table.sort_values(["layer", "id"], ascending=[False, True]).to_dict("records"):
        layer, node = int(record["layer"]), int(record["id"])
        ids.append(f"{layer}:{node}")
        parent = record.get("parent")
        parents.append("" if layer == top or pd.isna(parent) else f"{layer + 1}:{int(parent)}")
        label = shown_name(record)
        labels.append(esc(short(label or f"group {node}", 28)))
        values.append(int(record["size"]))
        name = "topic" if layer == 0 else f"layer {layer} group"
        hover.append(
            f"{name} {node} · {int(record['size']):,} documents<br>{esc(short(label, 80))}"
        )
    sunburst = go.Sunburst(
        ids=ids,
        labels=labels,
        parents=parents,
        values=values,
        branchvalues="total",
        hovertext=hover,
        hoverinfo="text",
        insidetextorientation="radial",
        maxdepth=3,
    )
    return figure([sunburst], height=560, margin={"l": 10, "r": 10, "t": 10, "b": 10})
