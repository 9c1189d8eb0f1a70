"""Page assembly: arranges chart outputs, embedded data and static assets into one HTML file.

Nothing here computes a chart; it only places what :mod:`topics.report.charts` returns. All
corpus text reaches the page either HTML-escaped (header) or inside JSON data blocks escaped
for a ``<script>`` element and read with ``JSON.parse`` (see :func:`script_json`).
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

# Sections in page order: (section id, title, intro). Each chart names its own section and
# title where it registers (topics.report.charts._common.chart).
SECTIONS: tuple[tuple[str, str, str], ...] = (
    (
        "changed",
        "What changed",
        "Topics whose share of the documents rose or fell in the recent periods (a significance "
        "test on each topic's share, so a thin period does not count as a collapse), candidate "
        "topics proposed from novel documents, and what arrived since the fit.",
    ),
    (
        "map",
        "Document map",
        "Each dot is a document, placed by a 2-D UMAP of its embedding and coloured by topic. "
        "Distances on the map are approximate. Hover for a preview, click for the full abstract.",
    ),
    ("topics", "Topics", "Pick a topic to see its words, languages and typical abstracts."),
    (
        "relations",
        "How topics relate",
        "Left: topics placed by similarity of their mean embeddings (bubble area = documents). "
        "Right: the order in which topics merge into larger groups. Below: the run's topic "
        "layers, from the overview (inner ring) to the fine topics (outer ring).",
    ),
    (
        "breakdowns",
        "Breakdowns",
        "How languages, dates and reference labels spread across topics.",
    ),
)

#: The section of charts the page script places itself (inside the topic panel).
PANEL = "panel"


@dataclass(frozen=True)
class ChartOutput:
    """What one registered chart produced: a figure as JSON text, an HTML fragment, or nothing."""

    name: str
    figure_json: str | None = None
    fragment: str | None = None
    title: str = ""
    section: str | None = None
    order: int = 0


def script_json(value: Any) -> str:
    """JSON text safe inside ``<script type="application/json">``.

    ``<``, ``>`` and ``&`` become ``\\u003c`` etc., so ``</script>`` or ``<!--`` in corpus text
    cannot end or confuse the element; U+2028/U+2029 are escaped for old JS parsers.
    """
    text = (
        value
        if isinstance(value, str)
        else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    )
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def static_text(name: str) -> str:
    """Text of a file in ``topics/report/static``."""
    return resources.files("topics.report").joinpath("static", name).read_text(encoding="utf-8")


def _data_block(element_id: str, payload: str) -> str:
    return f'<script type="application/json" id="{element_id}">{payload}</script>'


def _format_number(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _stat(label: str, value: str, hint: str = "") -> str:
    title = f' title="{html.escape(hint)}"' if hint else ""
    return (
        f'<div class="stat"{title}><div class="stat-value">{html.escape(value)}</div>'
        f'<div class="stat-label">{html.escape(label)}</div></div>'
    )


def _definition_list(items: dict[str, Any], css: str) -> str:
    rows = "".join(
        f"<dt>{html.escape(str(key))}</dt><dd>{html.escape(_format_number(value))}</dd>"
        for key, value in items.items()
        if not isinstance(value, dict | list)
    )
    return f'<dl class="{css}">{rows}</dl>' if rows else '<p class="note">none recorded</p>'


def header_html(manifest: dict[str, Any], run_name: str, n_documents: int) -> str:
    """The page header: run identity, corpus counts, topic counts, settings and metrics."""
    counts = manifest.get("counts", {}) or {}
    metrics = manifest.get("metrics", {}) or {}
    languages = manifest.get("languages", {}) or {}
    run = manifest.get("run", {}) or {}
    outliers = counts.get("outliers")
    documents = counts.get("documents", n_documents) or n_documents
    outlier_share = metrics.get("outlier_share")
    if outlier_share is None and outliers is not None and documents:
        outlier_share = outliers / documents
    language_text = " · ".join(f"{lang} {int(n):,}" for lang, n in languages.items() if n)
    stats = [
        _stat("documents", f"{int(documents):,}"),
        _stat("read", f"{int(counts.get('documents_read', documents)):,}", "records before dedup"),
        _stat("duplicates dropped", f"{int(counts.get('duplicates_dropped', 0) or 0):,}"),
        _stat("topics", f"{int(counts.get('topics', 0) or 0):,}"),
        _stat(
            "outliers",
            "–" if outlier_share is None else f"{float(outlier_share):.0%}",
            "share of documents in no topic (-1)",
        ),
        _stat("languages", language_text or "–"),
    ]
    translation = counts.get("translation_duplicates")
    if translation:
        stats.insert(3, _stat("translation duplicates", f"{int(translation):,}"))
    warnings = manifest.get("warnings") or []
    warning_html = (
        '<ul class="warnings">'
        + "".join(f"<li>{html.escape(str(w))}</li>" for w in warnings)
        + "</ul>"
        if warnings
        else ""
    )
    when = " → ".join(html.escape(str(run[k])) for k in ("started", "finished") if run.get(k))
    total = (manifest.get("timings") or {}).get("total")
    took = f" · {float(total):.1f} s" if isinstance(total, int | float) else ""
    return (
        '<header class="page-header"><div class="title-row">'
        f'<div><div class="eyebrow">topics run</div><h1>{html.escape(run_name)}</h1>'
        f'<div class="subtle">{when}{took}</div></div>'
        '<a class="button" href="manifest.json">manifest.json</a></div>'
        f'<div class="stats">{"".join(stats)}</div>{warning_html}'
        '<details class="settings"><summary>Settings and metrics</summary><div class="two">'
        f"<div><h3>Key settings</h3>{_definition_list(manifest.get('settings') or {}, 'kv')}</div>"
        f"<div><h3>Metrics</h3>{_definition_list(metrics, 'kv')}</div>"
        "</div></details></header>"
    )


def _chart_block(output: ChartOutput) -> str:
    heading = f"<h3>{html.escape(output.title)}</h3>" if output.title else ""
    if output.figure_json is not None:
        body = f'<div class="plot" id="plot-{output.name}" data-figure="fig-{output.name}"></div>'
    else:
        body = output.fragment or ""
    return f'<div class="chart" data-chart="{output.name}">{heading}{body}</div>'


def _map_tools() -> str:
    return (
        '<div class="map-tools">'
        '<label class="search"><span class="visually-hidden">Search documents</span>'
        '<input id="search" type="search" autocomplete="off" '
        'placeholder="Search titles and abstracts (English or 中文)…"></label>'
        '<label class="toggle"><input id="show-outliers" type="checkbox" checked> '
        "show outliers</label>"
        '<label class="toggle" id="period-filter-label" hidden>period '
        '<select id="period-filter"><option value="">all</option></select></label></div>'
        '<div class="map-layout"><div class="map-main">{MAP}</div>'
        '<aside class="results"><div id="search-summary" class="subtle">'
        "Type to search; matches light up on the map.</div>"
        '<ol id="search-results" class="doc-list"></ol></aside></div>'
    )


def _topics_section() -> str:
    return (
        '<div class="topics-layout"><div class="topic-list-card">'
        '<div class="list-tools"><span class="subtle">Sort by</span>'
        '<button type="button" class="sort" data-sort="group" hidden>group</button>'
        '<button type="button" class="sort active" data-sort="size">size</button>'
        '<button type="button" class="sort" data-sort="topic">id</button>'
        '<button type="button" class="sort" data-sort="label">name</button></div>'
        '<table id="topic-table"><thead><tr><th>#</th><th>Topic</th><th class="num">Docs</th>'
        "</tr></thead><tbody></tbody></table></div>"
        '<div id="topic-panel" class="topic-panel"><h3 id="topic-title"></h3>'
        '<div id="topic-labels" class="topic-labels"></div>'
        '<div id="topic-langs" class="lang-bars"></div>'
        '<h4>Top words</h4><div class="plot" id="plot-topic_words" data-figure="fig-topic_words">'
        '</div><h4>Most representative abstracts</h4><ol id="topic-docs" class="doc-list"></ol>'
        "</div></div>"
    )


def render_page(
    *,
    run_name: str,
    manifest: dict[str, Any],
    n_documents: int,
    outputs: list[ChartOutput],
    page_data: dict[str, Any],
    documents_payload: dict[str, Any],
    plotly_payload: dict[str, str],
    nonce: str,
) -> str:
    """Assemble the complete HTML document.

    Parameters
    ----------
    run_name, manifest, n_documents:
        For the header.
    outputs:
        Every chart's output, in registry order.
    page_data:
        Small JSON data for the page script (topics, columns).
    documents_payload:
        The document table, usually ``{"encoding": "gzip+base64", "data": ...}``.
    plotly_payload:
        plotly.js, inlined once as ``{"encoding": "gzip+base64", "data": ...}``.
    nonce:
        Content-Security-Policy nonce; only the page script carrying it may run.
    """
    sections = _sections(outputs, page_data)
    figures = "".join(
        _data_block(f"fig-{o.name}", script_json(o.figure_json)) for o in outputs if o.figure_json
    )
    present = " ".join(sections)
    nav = "".join(
        f'<a href="#{sid}">{html.escape(title)}</a>'
        for sid, title in [("changed", "What changed"), ("map", "Map"), ("topics", "Topics"),
                           ("relations", "Relations"), ("breakdowns", "Breakdowns"),
                           ("downloads", "Downloads")]
        if f'id="{sid}"' in present
    )  # fmt: skip
    csp = (
        "default-src 'none'; "
        f"script-src 'nonce-{nonce}' 'unsafe-eval'; "  # plotly's WebGL (regl) compiles shaders
        "style-src 'unsafe-inline'; img-src data: blob:; font-src data:; "
        "connect-src data: blob:; worker-src blob:"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(run_name)} · topics</title>"
        f"<style>{static_text('report.css')}</style></head><body>"
        f'<nav class="top-nav"><span class="brand">topics</span>{nav}</nav><main>'
        f"{header_html(manifest, run_name, n_documents)}"
        '<div id="page-error" class="page-error" hidden></div>'
        f"{''.join(sections)}</main>"
        '<aside id="doc-panel" class="doc-panel" hidden aria-live="polite">'
        '<button type="button" id="doc-close" class="close" aria-label="Close">×</button>'
        '<div id="doc-meta" class="subtle"></div><h3 id="doc-title"></h3>'
        '<button type="button" id="doc-topic" class="chip"></button>'
        '<p id="doc-text" class="doc-text"></p></aside>'
        f"{_data_block('run-data', script_json(page_data))}"
        f"{_data_block('doc-data', script_json(documents_payload))}{figures}"
        f"{_data_block('plotly-js', script_json(plotly_payload))}"
        f'<script nonce="{nonce}">{static_text("report.js")}</script>'
        "</body></html>\n"
    )


def _sections(outputs: list[ChartOutput], page_data: dict[str, Any]) -> list[str]:
    """The page's section cards in order: each of :data:`SECTIONS` that has something to show
    (its charts, in their registered order), "More charts" for charts of no known section,
    and the downloads."""
    known = {section_id for section_id, _, _ in SECTIONS} | {PANEL}
    sections = []
    for section_id, title, intro in SECTIONS:
        inside = sorted((o for o in outputs if o.section == section_id), key=lambda o: o.order)
        blocks = [_chart_block(output) for output in inside if _shown(output)]
        if section_id == "map":
            body = _map_tools().replace(
                "{MAP}", "".join(blocks) or '<p class="note">No documents.</p>'
            )
        elif section_id == "topics":
            body = _topics_section()
        elif section_id == "changed" and blocks:
            body = "".join(blocks)
        elif blocks:
            body = f'<div class="grid">{"".join(blocks)}</div>'
        else:
            continue
        sections.append(
            f'<section class="card" id="{section_id}"><h2>{html.escape(title)}</h2>'
            f'<p class="intro">{html.escape(intro)}</p>{body}</section>'
        )
    extra = [_chart_block(o) for o in outputs if o.section not in known and _shown(o)]
    if extra:
        sections.append(
            '<section class="card" id="more"><h2>More charts</h2>'
            f'<div class="grid">{"".join(extra)}</div></section>'
        )
    shown, total = page_data.get("shown"), page_data.get("total")
    sample_note = (
        f" This page carries a random sample of {shown:,} of the run's {total:,} documents "
        "(map, search and documents.csv); documents.parquet in the run folder has them all."
        if isinstance(shown, int) and isinstance(total, int) and shown < total
        else ""
    )
    sections.append(
        '<section class="card" id="downloads"><h2>Downloads</h2><p class="intro">'
        f"CSV files made from this page's data (UTF-8).{html.escape(sample_note)}</p>"
        '<button type="button" class="button" id="download-topics">topics.csv</button> '
        '<button type="button" class="button" id="download-documents">documents.csv</button>'
        "</section>"
    )
    return sections


def _shown(output: ChartOutput) -> bool:
    return output.figure_json is not None or bool(output.fragment)
