"""The document map: every document on the run's 2-D UMAP, coloured by topic."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from topics.report.charts._common import OUTLIER_COLOR, chart, esc, figure, short, topic_color
from topics.report.data import OUTLIER, RunData

# Topic names drawn on the map; more than this clutters it (the legend has all).
MAX_MAP_LABELS = 40


def _scaled(coords: np.ndarray) -> np.ndarray:
    """Coordinates scaled to 0..100 and rounded to 2 decimals: short JSON, no visible loss."""
    if len(coords) == 0:
        return coords.astype(float)
    low = np.nanmin(coords, axis=0)
    span = np.nanmax(coords, axis=0) - low
    span[span == 0] = 1.0
    return np.round((coords - low) / span * 100.0, 2)


def _overview_labels(data: RunData, coords: np.ndarray, topics: np.ndarray) -> go.Scatter | None:
    """Names of the overview groups at the median of their documents (``None``: no layers)."""
    from topics.report.payload import overview_groups

    group_of, groups = overview_groups(data)
    if not groups:
        return None
    document_groups = np.array([group_of.get(int(t), OUTLIER) for t in topics])
    shown = [g for g in groups if (document_groups == g["id"]).any()][:MAX_MAP_LABELS]
    centres = [np.median(coords[document_groups == g["id"]], axis=0) for g in shown]
    labels = [g["label"] for g in shown]
    return _names(centres, labels, 30, 14, "#102a43", "group-labels")


def _names(
    centres: list[np.ndarray], labels: list[str], limit: int, size: int, color: str, role: str
) -> go.Scatter:
    """A text-only trace: the first two units of each label at its centre."""
    return go.Scatter(
        x=[round(float(c[0]), 2) for c in centres],
        y=[round(float(c[1]), 2) for c in centres],
        text=[esc(short(" · ".join(label.split(" · ")[:2]), limit)) for label in labels],
        mode="text",
        textfont={"size": size, "color": color},
        hoverinfo="skip",
        showlegend=False,
        name=role,
        meta={"role": role},
    )


@chart("document_map", title="", section="map", order=0)
def document_map(data: RunData) -> go.Figure | None:
    """Scatter of documents by topic; hover text is filled in by the page from its table.

    Each topic is one WebGL trace (``meta.role == "documents"``) whose ``customdata`` holds
    document row numbers, so the page's script can build hover cards and search highlights
    from the single embedded document table instead of repeating text here.

    Parameters
    ----------
    data:
        The run.

    Returns
    -------
    plotly.graph_objects.Figure or None
        ``None`` when the run has no documents.
    """
    n = len(data.documents)
    if n == 0:
        return None
    rows = data.shown_rows  # customdata holds positions in the page's table, not these rows
    positions = np.arange(len(rows))
    coords = _scaled(np.asarray(data.map2d, dtype=float)[rows])
    topics = data.documents["topic"].to_numpy(dtype=int)[rows]
    marker_size = 7 if n < 2_000 else 5 if n < 20_000 else 3
    sizes = data.sizes()
    order = sorted(set(topics.tolist()), key=lambda t: (t != OUTLIER, -sizes.get(t, 0), t))
    traces = [_topic_trace(data, topic, coords, topics, positions, marker_size) for topic in order]
    named = [t for t in order if t != OUTLIER][:MAX_MAP_LABELS]
    centres = [np.median(coords[topics == t], axis=0) for t in named]
    traces.append(_names(centres, [data.label_of(t) for t in named], 28, 12, "#1f2933", "labels"))
    group_labels = _overview_labels(data, coords, topics)
    if group_labels is not None:
        # Zoomed out the map names the overview groups; the page swaps in the fine topics'
        # names when the view is zoomed in (report.js, zoomLabels).
        traces[-1].visible = False
        traces.append(group_labels)
    traces.append(_highlight_trace(marker_size))
    sampled = data.sampled
    title = (
        f"A random sample of {len(rows):,} of {n:,} documents (map and search; "
        "documents.parquet has all)"
        if sampled
        else ""
    )
    return figure(
        traces,
        title={"text": title, "font": {"size": 13}},
        height=620,
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": None},
        # Below plotly's mode bar, which would cover the first legend entries.
        legend={"itemsizing": "constant", "font": {"size": 11}, "y": 0.93, "yanchor": "top"},
        hovermode="closest",
        dragmode="pan",
        margin={"l": 10, "r": 10, "t": 40 if sampled else 10, "b": 10},
        meta={"sampled": sampled, "shown": len(rows), "total": n},
    )


def _topic_trace(
    data: RunData,
    topic: int,
    coords: np.ndarray,
    topics: np.ndarray,
    positions: np.ndarray,
    marker_size: int,
) -> go.Scattergl:
    """One topic's documents (``customdata``: their rows in the page's document table)."""
    mask = topics == topic
    return go.Scattergl(
        x=coords[mask, 0].tolist(),
        y=coords[mask, 1].tolist(),
        customdata=positions[mask].tolist(),
        mode="markers",
        name="Outliers"
        if topic == OUTLIER
        else esc(short(f"{topic} · {data.label_of(topic)}", 32)),
        marker={
            "size": marker_size,
            "color": OUTLIER_COLOR if topic == OUTLIER else topic_color(topic),
            "opacity": 0.45 if topic == OUTLIER else 0.8,
        },
        hoverinfo="text",
        meta={"role": "outliers" if topic == OUTLIER else "documents", "topic": topic},
    )


def _highlight_trace(marker_size: int) -> go.Scattergl:
    """The empty trace the page fills with search matches."""
    return go.Scattergl(
        x=[],
        y=[],
        customdata=[],
        mode="markers",
        name="Search matches",
        marker={
            "size": marker_size + 5,
            "color": "#ffd400",
            "line": {"width": 1.5, "color": "#111"},
        },
        hoverinfo="text",
        showlegend=False,
        meta={"role": "highlight"},
    )
