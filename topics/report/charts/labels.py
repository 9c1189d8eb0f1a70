"""Topic × reference label, when the corpus has labels: which labels each topic gathers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from topics.report.charts._common import chart, esc, figure, short, topic_name
from topics.report.data import OUTLIER, RunData

MAX_LABELS = 25
MAX_TOPICS = 40


@chart("labels", title="Topics by reference label", section="breakdowns", order=2)
def labels(data: RunData) -> go.Figure | None:
    """Heatmap of each topic's share of documents per label (most frequent labels only).

    Parameters
    ----------
    data:
        The run.

    Returns
    -------
    plotly.graph_objects.Figure or None
        ``None`` when the corpus has no labels.
    """
    if not data.has_column("label"):
        return None
    documents = data.documents[data.documents["label"].notna()]
    names = documents["label"].astype(str)
    frequent = names.value_counts().index[:MAX_LABELS]
    names = names.where(names.isin(frequent), "other labels")
    table = pd.crosstab(documents["topic"].astype(int), names)
    columns = [c for c in frequent if c in table.columns]
    if "other labels" in table.columns:
        columns.append("other labels")
    sizes = table.sum(axis=1)
    rows = sorted(table.index, key=lambda t: (t == OUTLIER, -int(sizes[t]), t))[:MAX_TOPICS]
    counts = table.loc[rows, columns].to_numpy()
    shares = np.round(counts / np.maximum(counts.sum(axis=1, keepdims=True), 1), 3)
    heat = go.Heatmap(
        z=shares.tolist(),
        x=[esc(short(str(c), 24)) for c in columns],
        y=[topic_name(data, int(t), 36) for t in rows],
        customdata=counts.tolist(),
        colorscale="Blues",
        zmin=0,
        zmax=1,
        colorbar={"title": {"text": "share"}, "thickness": 12},
        hovertemplate="%{y}<br>label %{x}: %{customdata} documents (%{z:.0%})<extra></extra>",
    )
    return figure(
        [heat],
        height=max(260, 22 * len(rows) + 120),
        xaxis={"tickangle": -45, "automargin": True, "side": "bottom"},
        yaxis={"autorange": "reversed", "automargin": True},
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
    )
