"""Breakdowns by layer: the same chart for the fine topics and for each coarser layer.

A run with topic layers gets one set of traces per layer in its breakdown charts and a
"Group by" menu (plotly ``updatemenus``) that shows one set at a time: the fine topics first,
or the overview when there are more than :data:`OVERVIEW_FIRST` of them. The
counts always come from every document of ``documents.parquet``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from topics.common import shown_name
from topics.report.charts._common import esc, short
from topics.report.data import OUTLIER, RunData

#: Fine topics above which breakdown charts open on the overview layer.
OVERVIEW_FIRST = 30


@dataclass(frozen=True)
class View:
    """One grouping of the documents: its name, each document's group, and group names."""

    title: str
    groups: pd.Series
    names: dict[int, str]

    def name(self, group: int, limit: int = 36) -> str:
        """``"3 · label"`` (escaped), ``"Outliers"`` for -1."""
        if group == OUTLIER:
            return "Outliers"
        return esc(short(f"{group} · {self.names.get(group) or f'group {group}'}", limit))


def views(data: RunData) -> list[View]:
    """The fine topics, then each coarser layer of ``manifest["layers"]`` (fine → coarse)."""
    documents = data.documents
    topic_names = {int(t): data.label_of(int(t)) for t in data.topics["topic"]}
    found = [View("fine topics", documents["topic"].astype(int), topic_names)]
    table = data.layers
    columns = list(data.manifest.get("layers") or ["topic"])[1:]
    if table is None:
        return found
    for level, column in enumerate(columns, start=1):
        if column not in documents.columns:
            continue
        nodes = table[table["layer"] == level]
        names = {int(r["id"]): shown_name(r) for r in nodes.to_dict("records")}
        title = "overview" if level == len(columns) else f"layer {level}"
        found.append(View(f"{title} ({len(nodes)} groups)", documents[column].astype(int), names))
    return found


def by_view(
    data: RunData, traces_of: Callable[[View], tuple[list[Any], dict[str, Any]]]
) -> tuple[list[Any], dict[str, Any]]:
    """Traces of every view (only the first visible) and the layout with a view menu.

    ``traces_of(view)`` returns that view's traces and the layout keys that change with it
    (e.g. ``height``); with a single view the chart is returned as it would be without layers.
    """
    built = [(view, *traces_of(view)) for view in views(data)]
    if len(built) == 1:
        return built[0][1], built[0][2]
    # Above OVERVIEW_FIRST fine topics the overview is shown first (a chart of 124 fine topics
    # made the page ~9,900 px tall); the menu opens every finer layer.
    start = len(built) - 1 if len(data.topic_ids) > OVERVIEW_FIRST else 0
    first_layout = built[start][2]
    traces: list[Any] = []
    owner: list[int] = []
    for index, (_, view_traces, _) in enumerate(built):
        for trace in view_traces:
            trace.visible = index == start
            trace.meta = {"view": index}
            traces.append(trace)
            owner.append(index)
    buttons = [
        {
            "label": view.title,
            "method": "update",
            "args": [{"visible": [o == index for o in owner]}, layout],
        }
        for index, (view, _, layout) in enumerate(built)
    ]
    menu = {
        "buttons": buttons,
        "active": start,
        "direction": "down",
        "showactive": True,
        # Centred above the plot: the legend sits top left, plotly's mode bar top right.
        "x": 0.5,
        "xanchor": "center",
        "y": 1.0,
        "yanchor": "bottom",
        "pad": {"b": 4},
    }
    return traces, {**first_layout, "updatemenus": [menu]}
