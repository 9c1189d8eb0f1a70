"""Trends: each topic's share of every period, and which topics rose or fell lately.

Pure functions of the documents' dates and topics (any layer). A topic's *share* of a period is
its documents over **all** documents of that period (outliers included), with a Wilson 95%
interval, so a thin week shows as uncertain rather than as a collapse. A topic is *emerging*
(or *declining*) when its share in the recent periods differs from its share in the periods
before by more than chance allows: given the topic's documents in both windows, the number in
the recent window is binomial with the recent window's share of all documents (the
conditional test of two Poisson rates, which accounts for the windows' sizes), two-sided, with
a Benjamini–Hochberg correction across the topics of a layer and a minimum count.

Choices where the issue was silent (NOTES.md): ``period: auto`` is the finest of day, week,
month, quarter and year that gives at least :data:`AUTO_PERIODS` periods holding at least
:data:`PERIOD_MIN_DOCUMENTS` documents each, such periods filling at least half of the span;
``recent: auto`` is the last quarter of the span's periods (at least one); flags need at least
:data:`MIN_COUNT` documents of the topic in the two windows together and a corrected p-value
below :data:`ALPHA`. Documents without a date are left out of every count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from topics.common import OUTLIER, shown_name

PERIODS = ("day", "week", "month", "quarter", "year")
# Weeks run Monday to Sunday (pandas names a weekly period by the day it ends on).
_PANDAS_PERIOD = {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q", "year": "Y"}
#: ``period: auto`` wants at least this many periods ...
AUTO_PERIODS = 8
#: ... each holding at least this many documents.
PERIOD_MIN_DOCUMENTS = 10
#: A topic is tested only with at least this many documents in the two windows together.
MIN_COUNT = 5
#: Largest Benjamini–Hochberg-corrected p-value flagged.
ALPHA = 0.05
#: Ranked entries kept per list and layer in the manifest.
TOP = 20
_Z = 1.959963984540054  # two-sided 95%


def parse_dates(values: Sequence[str | None]) -> tuple[pd.Series, list[int]]:
    """``(timestamps, rows whose date did not parse)``; missing dates are ``NaT`` and not bad.

    Dates as abstracts carry them: ``2007-05-23``, ``2008-03``, ``2019``, ``2024-01-05T10:00Z``.
    """
    raw = pd.Series(list(values), dtype=object)
    present = raw.notna() & (raw.astype(str).str.strip() != "")
    parsed = pd.to_datetime(raw.where(present), errors="coerce", format="mixed", utc=True)
    bad = np.flatnonzero((present & parsed.isna()).to_numpy()).tolist()
    return parsed.dt.tz_convert(None), bad


def document_dates(documents: pd.DataFrame) -> list[str | None]:
    """Each document's date for trends: its ``date``, else, for a document ``topics assign``
    added, when it was assigned (``assigned_at``); ``None`` for neither."""
    n = len(documents)
    dates = documents["date"].astype(object) if "date" in documents.columns else None
    if "assigned_at" in documents.columns and "assigned_by" in documents.columns:
        assigned = (
            documents["assigned_at"]
            .astype(object)
            .where(documents["assigned_by"].astype(object) == "assign")
        )
        dates = assigned if dates is None else dates.where(dates.notna(), assigned)
    if dates is None:
        return [None] * n
    return [None if pd.isna(value) else str(value) for value in dates]


def period_labels(values: Sequence[str | None], period: str) -> list[str | None]:
    """Each date's period as ``trends.csv`` names it (``2024-03-25/2024-03-31`` for a week);
    ``None`` for a missing or unparsable date."""
    parsed, _ = parse_dates(values)
    periods = parsed.dt.to_period(_PANDAS_PERIOD[period])
    return [None if pd.isna(p) else str(p) for p in periods]


def choose_period(dates: pd.Series, setting: str) -> str | None:
    """The period for ``trends.period`` (``None``: the dates span a single period)."""
    known = dates.dropna()
    if known.empty:
        return None
    if setting != "auto":
        return setting
    for period in PERIODS:
        periods = known.dt.to_period(_PANDAS_PERIOD[period])
        full = int((periods.value_counts() >= PERIOD_MIN_DOCUMENTS).sum())
        span = int(periods.max().ordinal - periods.min().ordinal) + 1
        # Enough full periods, and most of the span full: monthly data is not read by the day.
        if full >= AUTO_PERIODS and full >= span / 2:
            return period
    for period in PERIODS:  # too few documents for 8 full periods: the finest with two
        if known.dt.to_period(_PANDAS_PERIOD[period]).nunique() >= 2:
            return period
    return None


def wilson(count: np.ndarray, total: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Wilson 95% interval ``(low, high)`` of ``count / total`` (``total`` > 0)."""
    count, total = np.asarray(count, dtype=float), np.asarray(total, dtype=float)
    share = count / total
    denominator = 1 + _Z**2 / total
    centre = (share + _Z**2 / (2 * total)) / denominator
    half = _Z * np.sqrt(share * (1 - share) / total + _Z**2 / (4 * total**2)) / denominator
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


@dataclass(frozen=True)
class Trends:
    """A run's trends: the table for ``trends.csv`` and the summary for the manifest."""

    table: pd.DataFrame
    summary: dict[str, Any]


def compute_trends(
    dates: pd.Series,
    layers: dict[str, np.ndarray],
    labels: dict[str, dict[int, str]],
    period_setting: str = "auto",
    recent_setting: int | str = "auto",
) -> Trends | None:
    """Shares per period and the emerging/declining topics of every layer.

    Parameters
    ----------
    dates:
        Each document's date (``NaT`` = none; such documents are left out of every count).
    layers:
        ``{column: topic of each document}``, fine topics first (``topic``, ``topic_l1``, …);
        the column's position is the ``layer`` of ``trends.csv`` (as in ``layers.csv``).
    labels:
        ``{column: {topic: label}}`` for the manifest's entries.
    period_setting, recent_setting:
        ``trends.period`` and ``trends.recent``.

    Returns
    -------
    Trends or None
        ``None`` when no document has a date or they all fall in one period.
    """
    period = choose_period(dates, period_setting)
    if period is None:
        return None
    known = dates.notna().to_numpy()
    periods = dates[known].dt.to_period(_PANDAS_PERIOD[period])
    span = pd.period_range(periods.min(), periods.max(), freq=periods.dt.freq)
    position = np.asarray(periods.array.asi8 - span[0].ordinal, dtype=np.int64)
    totals = np.bincount(position, minlength=len(span))
    recent = _recent(len(span), recent_setting)
    rows, summary_layers = [], {}
    for level, (column, topics) in enumerate(layers.items()):
        topics = np.asarray(topics, dtype=np.int64)[known]
        inside = topics != OUTLIER
        unique = np.unique(topics[inside])
        ids = unique.tolist()
        counts = np.zeros((len(ids), len(span)), dtype=np.int64)
        np.add.at(counts, (np.searchsorted(unique, topics[inside]), position[inside]), 1)
        rows.append(_rows(level, ids, counts, totals, span))
        summary_layers[column] = _flags(ids, counts, totals, recent, labels.get(column, {}), level)
    table = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    summary = {
        "period": period,
        "periods": len(span),
        "recent": {"first": str(span[-recent]), "last": str(span[-1]), "periods": recent},
        "documents": int(known.sum()),
        "undated": int((~known).sum()),
        "emerging": [e for layer in summary_layers.values() for e in layer["emerging"]],
        "declining": [e for layer in summary_layers.values() for e in layer["declining"]],
    }
    return Trends(table=table, summary=summary)


def _recent(n_periods: int, setting: int | str) -> int:
    """How many of the last periods are "recent" (always leaving one before them)."""
    wanted = max(1, round(n_periods / 4)) if setting == "auto" else int(setting)
    return max(1, min(wanted, n_periods - 1))


def _rows(
    level: int, ids: list[int], counts: np.ndarray, totals: np.ndarray, span: pd.PeriodIndex
) -> pd.DataFrame:
    """``trends.csv`` rows of one layer: every topic × every period with documents."""
    has = np.flatnonzero(totals > 0)
    topic_index, period_index = np.meshgrid(np.arange(len(ids)), has, indexing="ij")
    documents = counts[:, has].ravel()
    total = np.tile(totals[has], len(ids))
    low, high = wilson(documents, total)
    return pd.DataFrame(
        {
            "layer": level,
            "topic": np.asarray(ids, dtype=np.int64)[topic_index.ravel()],
            "period": [str(span[i]) for i in period_index.ravel()],
            "documents": documents,
            "period_documents": total,
            "share": np.round(documents / total, 6),
            "share_low": np.round(low, 6),
            "share_high": np.round(high, 6),
        }
    )


def _flags(
    ids: list[int],
    counts: np.ndarray,
    totals: np.ndarray,
    recent: int,
    labels: dict[int, str],
    level: int,
) -> dict[str, list[dict[str, Any]]]:
    """Emerging and declining topics of one layer, strongest first (BH-corrected)."""
    from scipy.stats import binomtest

    n_recent, n_before = int(totals[-recent:].sum()), int(totals[:-recent].sum())
    entries = []
    if n_recent and n_before:
        for row, topic in enumerate(ids):
            k_recent, k_before = int(counts[row, -recent:].sum()), int(counts[row, :-recent].sum())
            if k_recent + k_before < MIN_COUNT:
                continue
            test = binomtest(k_recent, k_recent + k_before, n_recent / (n_recent + n_before))
            recent_share, baseline_share = k_recent / n_recent, k_before / n_before
            entries.append(
                {
                    "layer": level,
                    "topic": int(topic),
                    "label": labels.get(int(topic), ""),
                    "recent_documents": k_recent,
                    "baseline_documents": k_before,
                    "recent_share": round(recent_share, 6),
                    "baseline_share": round(baseline_share, 6),
                    "ratio": round(recent_share / baseline_share, 4) if baseline_share else None,
                    "p_value": float(test.pvalue),
                }
            )
    for entry, q in zip(entries, _benjamini_hochberg([e["p_value"] for e in entries]), strict=True):
        entry["q_value"] = round(q, 6)
        entry["p_value"] = round(entry["p_value"], 6)
    flagged = [e for e in entries if e["q_value"] < ALPHA]
    rising = sorted(
        (e for e in flagged if e["recent_share"] > e["baseline_share"]),
        key=lambda e: (e["q_value"], -(e["ratio"] or np.inf)),
    )
    falling = sorted(
        (e for e in flagged if e["recent_share"] < e["baseline_share"]),
        key=lambda e: (e["q_value"], e["ratio"] or 0.0),
    )
    return {"emerging": rising[:TOP], "declining": falling[:TOP]}


def _benjamini_hochberg(p_values: list[float]) -> list[float]:
    """Benjamini–Hochberg adjusted p-values (same order as given)."""
    if not p_values:
        return []
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p)
    ranked = p[order] * len(p) / np.arange(1, len(p) + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1]
    result = np.empty_like(p)
    result[order] = np.minimum(adjusted, 1.0)
    return result.tolist()


def check_dates(dates: Sequence[str | None] | None, sources: Sequence[str], bad_dates: str) -> None:
    """Refuse, right after loading, a corpus with a date that does not parse (``trends.
    bad_dates: error``): one line naming the first such document's ``file:line`` and value."""
    if dates is None or bad_dates == "skip":
        return
    _, bad = parse_dates(dates)
    if bad:
        from topics.errors import InputError

        first = bad[0]
        raise InputError(
            f"{sources[first]}: the date {dates[first]!r} is not a date (expected e.g. "
            f"2024-05-17, 2024-05 or 2024); {len(bad)} document(s) have such a date. Fix them, "
            "or set trends.bad_dates: skip to leave them out of the trends."
        )


def run_trends(
    dates: Sequence[str | None] | None,
    layers: dict[str, np.ndarray],
    labels: dict[str, dict[int, str]],
    period: str = "auto",
    recent: int | str = "auto",
) -> tuple[Trends | None, dict[str, Any]]:
    """A run's trends and the manifest's ``trends`` entry (with ``reason`` when there are
    none; ``bad_dates`` counts the dates left out because they did not parse)."""
    if dates is None:
        return None, {"reason": "no document has a date (corpus.fields.date)"}
    parsed, bad = parse_dates(dates)
    trends = compute_trends(parsed, layers, labels, period, recent)
    if trends is None:
        return None, {"reason": "every dated document falls in one period", "bad_dates": len(bad)}
    return trends, trends.summary | {"bad_dates": len(bad)}


def layer_labels(
    topic_table: pd.DataFrame, layer_table: pd.DataFrame | None, columns: list[str]
) -> dict[str, dict[int, str]]:
    """``{column: {id: label}}`` for the fine topics (``topics.csv``) and each coarser layer
    (``layers.csv``'s ``layer`` = the column's position in ``columns``)."""
    labels = {columns[0]: _labels_of(topic_table.rename(columns={"topic": "id"}))}
    for level, column in enumerate(columns[1:], start=1):
        nodes = layer_table[layer_table["layer"] == level] if layer_table is not None else None
        labels[column] = {} if nodes is None else _labels_of(nodes)
    return labels


def _labels_of(nodes: pd.DataFrame) -> dict[int, str]:
    """``{id: name as shown}`` (:func:`topics.common.shown_name`)."""
    return {int(record["id"]): shown_name(record) for record in nodes.to_dict("records")}
