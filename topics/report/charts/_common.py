"""Helpers every chart shares: escaping, topic colours, the common layout."""

from __future__ import annotations

import html
from typing import Any

import plotly.graph_objects as go

from topics.registry import charts

OUTLIER_COLOR = "#b8bec6"

# Tableau-20-like: distinct on white, readable as text colour too.
PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    "#bcbd22", "#7f7f7f", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd",
)  # fmt: skip

FONT_STACK = (
    'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK SC", '
    '"PingFang SC", "Microsoft YaHei", sans-serif'
)


def esc(value: object) -> str:
    """HTML-escape corpus-derived text for plotly, which renders strings as HTML-ish markup."""
    # Plotly parses tags, not attributes, and shows &quot; literally: escape & < > only.
    return html.escape(str(value), quote=False)


def short(text: str, limit: int = 40) -> str:
    """Cut ``text`` to ``limit`` characters with an ellipsis (axis labels stay readable)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def topic_color(topic: int) -> str:
    """The colour of a topic everywhere on the page (outliers grey)."""
    return OUTLIER_COLOR if topic < 0 else PALETTE[topic % len(PALETTE)]


def topic_name(data: Any, topic: int, limit: int = 40) -> str:
    """``"3 · label words"``, escaped for plotly."""
    if topic < 0:
        return "Outliers"
    return esc(short(f"{topic} · {data.label_of(topic)}", limit))


def base_layout(**overrides: Any) -> dict[str, Any]:
    """Layout shared by all figures: system fonts, white background, tight margins."""
    layout: dict[str, Any] = {
        "template": "simple_white",
        "font": {"family": FONT_STACK, "size": 12, "color": "#1f2933"},
        "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "hoverlabel": {"font": {"family": FONT_STACK}},
    }
    layout.update(overrides)
    return layout


def figure(traces: list[Any], **layout: Any) -> go.Figure:
    """A figure with the shared layout."""
    return go.Figure(data=traces, layout=base_layout(**layout))


def note_html(text: str) -> str:
    """A short explanatory note shown instead of a chart (text is escaped)."""
    return f'<p class="note">{html.escape(text)}</p>'


def chart(name: str, *, title: str, section: str | None, order: int = 0) -> Any:
    """Register a chart under ``name`` with what the page needs to place it.

    Parameters
    ----------
    name:
        The registry name (``report.charts``), also the chart's element id on the page.
    title:
        Shown above the chart ("" for none).
    section:
        The page section it sits in (:data:`topics.report.page.SECTIONS`); ``"panel"`` when
        the page script places it in the topic panel; ``None`` for "More charts".
    order:
        Its place within the section (ascending).
    """

    def decorator(function: Any) -> Any:
        function.chart_title = title
        function.chart_section = section
        function.chart_order = order
        return charts.register(name)(function)

    return decorator
