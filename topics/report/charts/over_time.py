"""Topics over time, when documents carry dates: each period's documents split by topic, as
shares of the period's documents (a busy week and a thin one read alike; counts on hover).

A run with trends uses its trends period (``trends.period``, the ``trends.csv`` periods, where
assigned documents without a date count at their assign); otherwise years, or months for a
span under three years."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from topics.report.charts._common import OUTLIER_COLOR, chart, figure, topic_color
from topics.report.charts._views import View, by_view
from topics.report.data import OUTLIER, RunData

# More topics than this become one "other topics" band: a stack of 100 bands is unreadable.
MAX_TOPIC_BANDS = 12
_DATE = re.compile(r"^\s*(\d{4})(?:\s*[-/.年]\s*(\d{1,2}))?(?:\s*[-/.月]\s*(\d{1,2}))?")


def parse_date(value: object) -> pd.Timestamp | None:
    """Lenient date parsing: ``2007``, ``2007-04``, ``2007-04-02``, ``2007年4月``, ``4/2/2007``.

    Missing parts default to the first month/day; anything unparseable gives ``None``.
    """
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    match = _DATE.match(text)
    if match:
        year, month, day = match.group(1), match.group(2) or "1", match.group(3) or "1"
        try:
            return pd.Timestamp(year=int(year), month=int(month), day=int(day))
        except ValueError:
            try:
                return pd.Timestamp(year=int(year), month=1, day=1)
            except ValueError:
                return None
    parsed = pd.to_datetime(text, errors="coerce")
    return None if pd.isna(parsed) else pd.Timestamp(parsed)


@chart("over_time", title="Topics over time", section="breakdowns", order=1)
def over_time(data: RunData) -> go.Figure | None:
    """Stacked bars of each period's share per topic for the largest topics.

    Parameters
    ----------
    data:
        The run.

    Returns
    -------
    plotly.graph_objects.Figure or None
        ``None`` when no document has a parseable date.
    """
    if data.periods is not None:
        labels = pd.Series(data.periods, dtype=object)
        known = labels.notna()
        periods, unit = labels[known].astype(str), str(data.manifest["trends"]["period"])
    else:
        if not data.has_column("date"):
            return None
        dates = pd.Series([parse_date(v) for v in data.documents["date"]], dtype="datetime64[ns]")
        known = dates.notna()
        if not known.any():
            return None
        years = dates[known].dt.year
        unit = "year" if years.max() - years.min() >= 3 else "month"
        periods = dates[known].dt.to_period("Y" if unit == "year" else "M").astype(str)
    rows = known.to_numpy()
    traces, layout = by_view(data, lambda view: (_bands(view, rows, periods), {}))
    return figure(
        traces,
        height=380,
        barmode="stack",
        bargap=0.15,
        xaxis={"title": {"text": unit}, "type": "category"},
        yaxis={
            "title": {"text": "share of the period's documents"},
            "showgrid": True,
            "tickformat": ".0%",
            "range": [0, 1],
        },
        legend={"font": {"size": 11}},
        margin={"l": 10, "r": 10, "t": 10, "b": 40},
        **layout,
    )


def _bands(view: View, rows: np.ndarray, periods: pd.Series) -> list[go.Bar]:
    """Share of each period's documents in the largest groups of ``view``, the rest in one
    band (outliers count in every period's total and have their band)."""
    groups = view.groups.to_numpy(dtype=int)
    sizes = pd.Series(groups).value_counts()
    groups = groups[rows]
    ranked = sorted(
        {int(g) for g in groups if g != OUTLIER}, key=lambda g: (-int(sizes.get(g, 0)), g)
    )
    kept = set(ranked[:MAX_TOPIC_BANDS])
    bands = pd.Series([g if g in kept or g == OUTLIER else -2 for g in groups], index=periods.index)
    table = pd.crosstab(periods, bands).sort_index()
    totals = table.sum(axis=1)
    traces = []
    for band in [*ranked[:MAX_TOPIC_BANDS], -2, OUTLIER]:
        if band not in table.columns:
            continue
        other = "Other topics" if view.title == "fine topics" else "Other groups"
        name = other if band == -2 else view.name(band, 32)
        color = "#cbd2d9" if band == -2 else OUTLIER_COLOR if band == OUTLIER else topic_color(band)
        traces.append(
            go.Bar(
                x=list(table.index),
                y=(table[band] / totals).round(4).tolist(),
                customdata=np.stack([table[band].to_numpy(), totals.to_numpy()], axis=1).tolist(),
                name=name,
                marker={"color": color},
                hovertemplate="%{x}: %{y:.1%} (%{customdata[0]} of %{customdata[1]} documents)"
                "<extra>%{fullData.name}</extra>",
            )
        )
    return traces
