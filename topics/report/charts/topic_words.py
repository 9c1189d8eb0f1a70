"""Top words of each topic with their scores (the topic panel's bar chart)."""

from __future__ import annotations

import plotly.graph_objects as go

from topics.report.charts._common import chart, esc, figure, topic_color
from topics.report.data import RunData


@chart("topic_words", title="Topic words", section="panel", order=0)
def topic_words(data: RunData) -> go.Figure | None:
    """One horizontal bar trace per topic; the page shows the selected topic's trace only.

    Parameters
    ----------
    data:
        The run.

    Returns
    -------
    plotly.graph_objects.Figure or None
        ``None`` when no topic has words.
    """
    traces = []
    for topic in sorted(data.topic_words):
        words = [(str(w), float(s)) for w, s in data.topic_words[topic].get("words") or []]
        if not words:
            continue
        traces.append(
            go.Bar(
                x=[round(score, 4) for _, score in words],
                y=[esc(word) for word, _ in words],
                orientation="h",
                marker={"color": topic_color(topic)},
                hovertemplate="%{y}: %{x:.4f}<extra></extra>",
                name=str(topic),
                visible=not traces,
                meta={"topic": topic},
            )
        )
    if not traces:
        return None
    return figure(
        traces,
        height=300,
        showlegend=False,
        xaxis={"title": {"text": "c-TF-IDF score"}, "showgrid": True},
        yaxis={"autorange": "reversed", "automargin": True},
        margin={"l": 10, "r": 10, "t": 10, "b": 40},
    )
