"""Topic hierarchy: an average-linkage dendrogram of the topics' mean embeddings."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from scipy.cluster.hierarchy import dendrogram, linkage
from scipy.spatial.distance import squareform

from topics.report.charts._common import chart, figure, note_html, topic_name
from topics.report.charts.similarity import cosine_distances
from topics.report.data import RunData


@chart("hierarchy", title="Topic hierarchy", section="relations", order=1)
def hierarchy(data: RunData) -> go.Figure | str:
    """Horizontal dendrogram: topics that merge early (left) are close in embedding space.

    Parameters
    ----------
    data:
        The run.

    Returns
    -------
    plotly.graph_objects.Figure or str
        A note when there are fewer than two topics (nothing to merge).
    """
    topics = data.topic_ids
    if len(topics) < 2 or len(data.topic_vectors) != len(topics):
        return note_html(
            "A hierarchy needs at least two topics; this run has "
            f"{len(topics)} topic{'s' if len(topics) != 1 else ''}."
        )
    distances = cosine_distances(data.topic_vectors)
    condensed = np.clip(squareform(distances, checks=False), 0.0, None)
    tree = dendrogram(linkage(condensed, method="average"), no_plot=True)
    xs: list[float | None] = []
    ys: list[float | None] = []
    for icoord, dcoord in zip(tree["icoord"], tree["dcoord"], strict=True):
        xs.extend([*(round(float(d), 4) for d in dcoord), None])
        ys.extend([*(float(i) for i in icoord), None])
    leaves = [topics[i] for i in tree["leaves"]]
    links = go.Scatter(
        x=xs, y=ys, mode="lines", line={"color": "#52606d", "width": 1.5}, hoverinfo="skip"
    )
    return figure(
        [links],
        height=max(260, 22 * len(leaves) + 60),
        showlegend=False,
        xaxis={
            "title": {"text": "cosine distance at merge"},
            "showgrid": True,
            "rangemode": "tozero",
        },
        yaxis={
            "tickmode": "array",
            "tickvals": [5 + 10 * i for i in range(len(leaves))],
            "ticktext": [topic_name(data, t, 44) for t in leaves],
            "showgrid": False,
            "zeroline": False,
            "automargin": True,
            "range": [0, 10 * len(leaves)],
        },
        margin={"l": 10, "r": 20, "t": 10, "b": 40},
    )
