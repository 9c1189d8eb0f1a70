"""What changed in a run: the facts the dashboard's "What changed" panel and ``digest.md`` share.

One function reads them from a run's manifest, ``trends.csv`` and ``candidates.csv``
(:func:`what_changed`); the panel (:mod:`topics.report.charts.what_changed`) draws them and
:func:`digest` writes them as Markdown a reader can take in from a mail. Both show the same
numbers because both start here.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

#: Emerging / declining topics listed per direction (the manifest keeps them all).
SHOWN_TRENDS = 8
#: Candidate topics listed (``candidates.csv`` keeps them all).
SHOWN_CANDIDATES = 10
#: Assigns listed, most recent first.
SHOWN_ARRIVALS = 10


@dataclass(frozen=True)
class Changes:
    """What changed, ready to show.

    Attributes
    ----------
    fitted:
        ``(documents the run was fitted on, when it started)``.
    arrivals:
        The manifest's ``assignments`` entries, most recent first.
    period, recent:
        The trends' period and the recent span (``{"first", "last", "periods"}``), or ``None``.
    emerging, declining:
        The fine layer's flagged topics (manifest entries, strongest first).
    series:
        ``{topic: DataFrame(period, share, share_low, share_high)}`` of each flagged topic.
    candidates:
        ``candidates.csv`` rows, largest first.
    no_trends:
        Why there are no trends (``None`` when there are).
    """

    fitted: tuple[int, str | None]
    arrivals: list[dict[str, Any]]
    period: str | None
    recent: dict[str, Any] | None
    emerging: list[dict[str, Any]]
    declining: list[dict[str, Any]]
    series: dict[int, pd.DataFrame] = field(default_factory=dict)
    candidates: pd.DataFrame | None = None
    no_trends: str | None = None

    @property
    def empty(self) -> bool:
        """Nothing to tell: no trends, no arrivals, no candidates."""
        return (
            self.period is None
            and not self.arrivals
            and (self.candidates is None or not len(self.candidates))
        )


def what_changed(
    manifest: dict[str, Any], trends: pd.DataFrame | None, candidates: pd.DataFrame | None
) -> Changes:
    """The :class:`Changes` of a run from its manifest, ``trends.csv`` and ``candidates.csv``."""
    counts = manifest.get("counts") or {}
    arrivals = list(reversed(manifest.get("assignments") or []))
    fitted = int(counts.get("documents", 0)) - int(counts.get("assigned_later", 0) or 0)
    summary = manifest.get("trends") or {}
    period = summary.get("period")
    emerging = [e for e in summary.get("emerging") or [] if int(e.get("layer", 0)) == 0]
    declining = [e for e in summary.get("declining") or [] if int(e.get("layer", 0)) == 0]
    series: dict[int, pd.DataFrame] = {}
    if trends is not None and len(trends):
        fine = trends[trends["layer"] == 0]
        for entry in emerging[:SHOWN_TRENDS] + declining[:SHOWN_TRENDS]:
            rows = fine[fine["topic"] == int(entry["topic"])]
            series[int(entry["topic"])] = rows[
                ["period", "share", "share_low", "share_high", "documents"]
            ].reset_index(drop=True)
    return Changes(
        fitted=(fitted, (manifest.get("run") or {}).get("started")),
        arrivals=arrivals,
        period=period,
        recent=summary.get("recent"),
        emerging=emerging,
        declining=declining,
        series=series,
        candidates=candidates,
        no_trends=None if period else summary.get("reason"),
    )


def _percent(value: float) -> str:
    return f"{100 * float(value):.1f}%"


def trend_line(entry: dict[str, Any]) -> str:
    """``"12 · label: 2.9% of recent documents (was 1.1%), ×2.63, q = 0.00004"``."""
    ratio = entry.get("ratio")
    times = "new" if ratio is None else f"×{float(ratio):.2f}"
    return (
        f"{entry['topic']} · {entry.get('label') or ''}: {_percent(entry['recent_share'])} of "
        f"recent documents (was {_percent(entry['baseline_share'])}), {times}, "
        f"q = {float(entry.get('q_value', entry.get('p_value', 1.0))):.2g}"
    )


def arrival_line(entry: dict[str, Any]) -> str:
    """``"2026-12-06T10:00: 953 documents added (139 novel), 3 candidate topics"``."""
    line = (
        f"{str(entry.get('at', ''))[:16]}: {int(entry.get('added', 0)):,} documents added "
        f"({int(entry.get('novel', 0)):,} novel)"
    )
    if entry.get("skipped"):
        line += f", {int(entry['skipped']):,} already in the run"
    if "candidates" in entry:
        line += f", {int(entry['candidates'])} candidate topic(s) after it"
    return line


def _markdown_cell(value: Any) -> str:
    """A table cell of untrusted text: no pipes, no line breaks, no HTML."""
    text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    text = " ".join(text.split()).replace("|", "/")
    return html.escape(text, quote=False)


def digest(manifest: dict[str, Any], changes: Changes) -> str:
    """``digest.md``: what changed, in a few lines a reader takes in from a mail."""
    name = (manifest.get("run") or {}).get("name") or "run"
    counts = manifest.get("counts") or {}
    lines = [
        f"# What changed — {_markdown_cell(name)}",
        "",
        f"{int(counts.get('documents', 0)):,} documents in {int(counts.get('topics', 0)):,} "
        f"topics; fitted on {changes.fitted[0]:,}"
        + (f" ({str(changes.fitted[1])[:16]})" if changes.fitted[1] else "")
        + ".",
    ]
    if changes.arrivals:
        lines += ["", "## Arrived since the fit", ""]
        lines += [f"- {arrival_line(a)}" for a in changes.arrivals[:SHOWN_ARRIVALS]]
    lines += ["", "## Trends", ""]
    if changes.period is None:
        lines.append(f"No trends: {changes.no_trends or 'no dates'}.")
    else:
        recent = changes.recent or {}
        lines.append(
            f"By {changes.period}; recent = the last {recent.get('periods')} period(s), "
            f"{recent.get('first')} to {recent.get('last')}, against the earlier ones "
            "(exact test on the topic's share, Benjamini–Hochberg q < 0.05)."
        )
        for title, entries in (("Emerging", changes.emerging), ("Declining", changes.declining)):
            lines += ["", f"**{title}** ({len(entries)})", ""]
            if not entries:
                lines.append("- none")
            lines += [f"- {_markdown_cell(trend_line(e))}" for e in entries[:SHOWN_TRENDS]]
            if len(entries) > SHOWN_TRENDS:
                lines.append(f"- … and {len(entries) - SHOWN_TRENDS} more (manifest.json)")
    table = changes.candidates
    lines += ["", "## Candidate topics", ""]
    if table is None or not len(table):
        lines.append("None: no group of novel documents is as large as a topic of this run.")
    else:
        lines += [
            "Groups of novel documents as large as a topic; `topics adopt RUN_DIR ID` makes one "
            "a topic.",
            "",
            "| id | documents | label | first seen | last seen |",
            "|---:|---:|---|---|---|",
        ]
        for row in table.head(SHOWN_CANDIDATES).itertuples():
            lines.append(
                f"| {int(row.candidate)} | {int(row.size):,} | {_markdown_cell(row.label)} | "
                f"{_markdown_cell(row.first_seen)} | {_markdown_cell(row.last_seen)} |"
            )
    return "\n".join(lines) + "\n"
