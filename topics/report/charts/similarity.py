"""Topic similarity map: topics placed by classical MDS of their embeddings' cosine distances.

BERTopic's ``visualize_topics`` fails below ~5 topics (its issues #378, #1010, #1900); MDS by
eigen-decomposition works for any count ≥ 1.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from topics.report.charts._common import chart, esc, figure, note_html, short, topic_color
from topics.report.data import RunData


def cosine_distances(vectors: np.ndarray) -> np.ndarray:
    """Pairwise cosine distances; zero vectors count as orthogonal to everything."""
    vectors = np.nan_to_num(np.asarray(vectors, dtype=float))
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
    distances = 1.0 - np.clip(unit @ unit.T, -1.0, 1.0)
    np.fill_diagonal(distances, 0.0)
    return distances


def classical_mds(distances: np.ndarray, dimensions: int = 2) -> np.ndarray:
    """Classical (Torgerson) MDS; returns ``(n, dimensions)``, zero-padded for tiny ``n``."""
    n = len(distances)
    out = np.zeros((n, dimensions))
    if n < 2:
        return out
    centring = np.eye(n) - np.ones((n, n)) / n
    gram = -0.5 * centring @ (distances**2) @ centring
    values, vectors = np.linalg.eigh(gram)
    order = np.argsort(values)[::-1][:dimensions]
    for column, index in enumerate(order):
        out[:, column] = vectors[:, index] * np.sqrt(max(values[index], 0.0))
    return out


@chart("similarity", title="Topic similarity map", section="relations", order=0)
def similarity(data: RunData) -> go.Figure | str:
    """Bubble chart of topics (size = documents), close bubbles = similar topics.

    Parameters
    ----------
    data:
        The run.

    Returns
    -------
    plotly.graph_objects.Figure or str
        A note instead of a chart when the run has no topics.
    """
    topics = data.topic_ids
    if not topics or len(data.topic_vectors) != len(topics):
        return note_html("No topics were found, so there is nothing to compare.")
    xy = classical_mds(cosine_distances(data.topic_vectors))
    sizes = data.sizes()
    counts = np.array([sizes.get(t, 0) for t in topics], dtype=float)
    bubble = 12 + 38 * np.sqrt(counts / max(counts.max(), 1.0))
    trace = go.Scatter(
        x=np.round(xy[:, 0], 4).tolist(),
        y=np.round(xy[:, 1], 4).tolist(),
        mode="markers+text",
        text=[str(t) for t in topics],
        textfont={"color": "#fff", "size": 11},
        marker={
            "size": bubble.round(1).tolist(),
            "color": [topic_color(t) for t in topics],
            "opacity": 0.8,
            "line": {"width": 1, "color": "#fff"},
        },
        hovertext=[
            f"<b>{esc(short(f'{t} · {data.label_of(t)}', 60))}</b><br>{sizes.get(t, 0):,} documents"
            for t in topics
        ],
        hoverinfo="text",
        customdata=topics,
        meta={"role": "topics"},
    )
    pad = {
        "zeroline": False,
        "showticklabels": False,
        "showline": False,
        "ticks": "",
        "showgrid": False,
    }
    return figure(
        [trace],
        height=420,
        showlegend=False,
        xaxis={**pad, "range": _padded_range(xy[:, 0])},
        yaxis={**pad, "range": _padded_range(xy[:, 1])},
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
    )


def _padded_range(values: np.ndarray) -> list[float]:
    """Axis range with room for the bubbles (also when all values are equal)."""
    low, high = float(values.min()), float(values.max())
    span = max(high - low, 1e-6)
    if high - low < 1e-9:
        return [low - 1.0, high + 1.0]
    return [round(low - 0.2 * span, 4), round(high + 0.2 * span, 4)]
