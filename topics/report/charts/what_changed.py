"""The "What changed" panel at the top of the page: trends, candidate topics, arrivals.

Server-rendered HTML (no script needed): each emerging or declining topic with a sparkline of
its share per period and the share's 95% Wilson interval as a band, so a thin period's wide
band shows why it was not read as a collapse; each candidate topic with its size, dates and
first documents; one line per ``topics assign``. Every corpus-derived string is escaped.
The facts come from :func:`topics.changes.what_changed`, as ``digest.md``'s do.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from topics.changes import (
    SHOWN_ARRIVALS,
    SHOWN_CANDIDATES,
    SHOWN_TRENDS,
    Changes,
    arrival_line,
    what_changed,
)
from topics.report.charts._common import chart, topic_color
from topics.report.data import RunData

#: Documents listed under each candidate topic.
CANDIDATE_DOCUMENTS = 5
SPARK_WIDTH, SPARK_HEIGHT = 160, 36


@chart("what_changed", title="", section="changed", order=0)
def what_changed_panel(data: RunData) -> str | None:
    """The panel's HTML, or ``None`` when the run has nothing to tell (no dates, no assigns)."""
    changes = what_changed(data.manifest, data.trends, data.candidates)
    if changes.empty:
        return None
    parts = [_arrivals(changes)]
    if changes.period is None:
        parts.append(f'<p class="note">No trends: {html.escape(str(changes.no_trends))}.</p>')
    else:
        recent = changes.recent or {}
        parts.append(
            '<p class="subtle">'
            + html.escape(
                f"By {changes.period}; recent = the last {recent.get('periods')} period(s), "
                f"{recent.get('first')} to {recent.get('last')} (shaded), against the earlier "
                "ones. Band: 95% interval of the share."
            )
            + "</p>"
        )
        parts.append('<div class="two">')
        for title, entries in (("Emerging", changes.emerging), ("Declining", changes.declining)):
            parts.append(_trend_table(title, entries, changes, data))
        parts.append("</div>")
    parts.append(_candidates(changes, data))
    return f'<div class="what-changed">{"".join(parts)}</div>'


def _arrivals(changes: Changes) -> str:
    fitted, started = changes.fitted
    head = f"Fitted on {fitted:,} documents" + (f" ({str(started)[:16]})" if started else "")
    if not changes.arrivals:
        return f'<p class="subtle">{html.escape(head)}; nothing assigned since.</p>'
    items = "".join(
        f"<li>{html.escape(arrival_line(entry))}</li>"
        for entry in changes.arrivals[:SHOWN_ARRIVALS]
    )
    return (
        f'<p class="subtle">{html.escape(head)}; since then:</p><ul class="arrivals">{items}</ul>'
    )


def _trend_table(title: str, entries: list[dict], changes: Changes, data: RunData) -> str:
    if not entries:
        return f'<div><h3>{title}</h3><p class="note">None flagged.</p></div>'
    rows = []
    for entry in entries[:SHOWN_TRENDS]:
        topic = int(entry["topic"])
        ratio = entry.get("ratio")
        label = entry.get("label") or data.label_of(topic)
        rows.append(
            f'<tr><td><button type="button" class="chip topic-link" data-topic="{topic}">'
            f"{topic}</button> {html.escape(str(label))}</td>"
            f"<td>{_sparkline(changes.series.get(topic), topic, changes)}</td>"
            f'<td class="num">{100 * float(entry["recent_share"]):.1f}%</td>'
            f'<td class="num">{100 * float(entry["baseline_share"]):.1f}%</td>'
            f'<td class="num">{"new" if ratio is None else f"×{float(ratio):.2f}"}</td>'
            f'<td class="num">{float(entry.get("q_value", entry["p_value"])):.2g}</td></tr>'
        )
    more = (
        f'<p class="note">… and {len(entries) - SHOWN_TRENDS} more in manifest.json.</p>'
        if len(entries) > SHOWN_TRENDS
        else ""
    )
    return (
        f'<div><h3>{title} ({len(entries)})</h3><table class="trend-table"><thead><tr>'
        '<th>Topic</th><th>Share per period</th><th class="num">recent</th>'
        '<th class="num">before</th><th class="num">ratio</th><th class="num">q</th>'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>{more}</div>"
    )


def _sparkline(series: pd.DataFrame | None, topic: int, changes: Changes) -> str:
    """An inline SVG of the share per period, its interval as a band, recent periods shaded."""
    if series is None or not len(series):
        return ""
    share = series["share"].to_numpy(dtype=float)
    low = series["share_low"].to_numpy(dtype=float)
    high = series["share_high"].to_numpy(dtype=float)
    top = max(float(np.nanmax(high)), 1e-9)
    n = len(share)
    xs = np.linspace(2, SPARK_WIDTH - 2, n) if n > 1 else np.array([SPARK_WIDTH / 2])

    def y(values: np.ndarray) -> np.ndarray:
        return SPARK_HEIGHT - 2 - (SPARK_HEIGHT - 4) * np.nan_to_num(values) / top

    line = " ".join(f"{x:.1f},{v:.1f}" for x, v in zip(xs, y(share), strict=True))
    band = " ".join(
        [f"{x:.1f},{v:.1f}" for x, v in zip(xs, y(high), strict=True)]
        + [f"{x:.1f},{v:.1f}" for x, v in zip(xs[::-1], y(low)[::-1], strict=True)]
    )
    recent = int((changes.recent or {}).get("periods") or 0)
    shade = ""
    if 0 < recent < n:
        start = (xs[n - recent - 1] + xs[n - recent]) / 2
        shade = (
            f'<rect x="{start:.1f}" y="0" width="{SPARK_WIDTH - start:.1f}" '
            f'height="{SPARK_HEIGHT}" fill="#f0f4f8"/>'
        )
    color = topic_color(topic)
    first, last = (
        html.escape(str(series["period"].iloc[0])),
        html.escape(str(series["period"].iloc[-1])),
    )
    return (
        f'<svg class="spark" width="{SPARK_WIDTH}" height="{SPARK_HEIGHT}" role="img" '
        f'viewBox="0 0 {SPARK_WIDTH} {SPARK_HEIGHT}"><title>share per period, {first} to '
        f"{last}; peak {100 * float(np.nanmax(share)):.1f}%</title>{shade}"
        f'<polygon points="{band}" fill="{color}" fill-opacity="0.18"/>'
        f'<polyline points="{line}" fill="none" stroke="{color}" stroke-width="1.5"/></svg>'
    )


def _first_documents(data: RunData, candidates: list[int]) -> dict[int, list[str]]:
    """The first :data:`CANDIDATE_DOCUMENTS` titles (or text starts) of each candidate, read
    from ``documents.parquet`` in one pass for all of them."""
    documents = data.documents
    if "candidate" not in documents.columns:
        return {}
    column = documents["candidate"].to_numpy(dtype=np.int64)
    rows_of = {c: np.flatnonzero(column == c)[:CANDIDATE_DOCUMENTS] for c in candidates}
    rows = np.unique(np.concatenate([np.zeros(0, np.int64), *rows_of.values()]))
    texts = data.texts_of(rows)
    titles = texts.get("title", [None] * len(rows))
    bodies = texts.get("text", [""] * len(rows))
    shown = {
        int(row): title if isinstance(title, str) and title.strip() else str(text)[:140]
        for row, title, text in zip(rows, titles, bodies, strict=True)
    }
    return {c: [shown[int(r)] for r in found] for c, found in rows_of.items()}


def _candidates(changes: Changes, data: RunData) -> str:
    table = changes.candidates
    if table is None:
        return ""
    if not len(table):
        return (
            '<h3>Candidate topics</h3><p class="note">None yet: no group of novel documents is '
            "as large as a topic of this run.</p>"
        )
    shown_table = table.head(SHOWN_CANDIDATES)
    first = _first_documents(data, shown_table["candidate"].astype(int).tolist())
    items = []
    for row in shown_table.itertuples():
        titles = "".join(f"<li>{html.escape(t)}</li>" for t in first.get(int(row.candidate), []))
        label = row.label if isinstance(row.label, str) and row.label else "(no distinctive words)"
        dates = f"{row.first_seen} → {row.last_seen}"
        items.append(
            f"<details><summary><b>{int(row.candidate)}</b> · {html.escape(label)} · "
            f"{int(row.size):,} documents · {html.escape(dates)}</summary>"
            f'<p class="subtle">{html.escape(row.words if isinstance(row.words, str) else "")}</p>'
            f'<ol class="doc-list">{titles}</ol></details>'
        )
    return (
        f"<h3>Candidate topics ({len(table)})</h3>"
        '<p class="subtle">Groups of novel documents as large as a topic of this run; '
        "<code>topics adopt RUN_DIR ID</code> makes one a topic.</p>" + "".join(items)
    )
