"""Topic × language: how many documents of each language each topic holds."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from topics.report.charts._common import chart, figure
from topics.report.charts._views import View, by_view
from topics.report.data import OUTLIER, RunData

LANGUAGE_COLORS = {"zh": "#d1495b", "en": "#00798c", "other": "#edae49"}
LANGUAGE_NAMES = {"zh": "Chinese", "en": "English", "other": "Other"}


@chart("languages", title="Topics by language", section="breakdowns", order=0)
def languages(data: RunData) -> go.Figure | None:
    """Stacked horizontal bars, one bar per topic (largest first), one colour per language.

    With topic layers, a menu switches the bars to any coarser layer's groups.

    Parameters
    ----------
    data:
        The run.

    Returns
    -------
    plotly.graph_objects.Figure or None
        ``None`` when the run has no documents.
    """
    documents = data.documents
    if len(documents) == 0:
        return None
    traces, layout = by_view(data, lambda view: _bars(view, documents["lang"]))
    return figure(
        traces,
        barmode="stack",
        xaxis={"title": {"text": "documents"}, "showgrid": True},
        yaxis={"autorange": "reversed", "automargin": True},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        margin={"l": 10, "r": 10, "t": 30, "b": 40},
        **layout,
    )


def _bars(view: View, langs: pd.Series) -> tuple[list[go.Bar], dict]:
    """One bar per group of ``view`` (largest first), one colour per language."""
    counts = pd.crosstab(view.groups.to_numpy(), langs.to_numpy())
    sizes = counts.sum(axis=1)
    order = sorted(counts.index, key=lambda t: (t == OUTLIER, -int(sizes[t]), t))
    names = [view.name(int(t)) for t in order]
    traces = []
    for lang in [*LANGUAGE_COLORS, *sorted(set(counts.columns) - set(LANGUAGE_COLORS))]:
        if lang not in counts.columns:
            continue
        traces.append(
            go.Bar(
                x=[int(counts.at[t, lang]) for t in order],
                y=names,
                orientation="h",
                name=LANGUAGE_NAMES.get(lang, str(lang)),
                marker={"color": LANGUAGE_COLORS.get(lang, "#999")},
                hovertemplate="%{y}<br>%{x} documents<extra>%{fullData.name}</extra>",
            )
        )
    return traces, {"height": max(220, 24 * len(order) + 80)}
