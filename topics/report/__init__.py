"""The run dashboard: one self-contained ``index.html`` per run folder.

:func:`build_report` reads only the run folder's files (so ``topics report RUN_DIR`` can rebuild
a page without refitting), asks every chart registered in :data:`topics.registry.charts` for
its figure, and writes the page atomically. plotly.js is inlined once; no CDN, no web fonts,
so the page works from ``file://`` offline (BERTopic issues #455, #2418: blank pages).
"""

from __future__ import annotations

import base64
import contextlib
import functools
import gzip
import json
import os
import secrets
import tempfile
import webbrowser
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.offline

from topics import registry
from topics.report.data import OUTLIER, RunData, load_run
from topics.report.page import ChartOutput, render_page

__all__ = ["build_report", "open_report", "load_run", "RunData"]

REPORT_NAME = "index.html"


def _column(frame: pd.DataFrame, name: str) -> list[Any]:
    """A document column as JSON-able values (missing → ``None``)."""
    if name not in frame.columns:
        return [None] * len(frame)
    return [
        None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in frame[name]
    ]


def documents_table(data: RunData) -> dict[str, list[Any]]:
    """The document table the page embeds once (columnar: shorter JSON than records)."""
    docs = data.documents
    table: dict[str, list[Any]] = {
        "id": [str(v) for v in docs["id"]],
        "title": _column(docs, "title"),
        "text": _column(docs, "text"),
        "lang": _column(docs, "lang"),
        "topic": [int(v) for v in docs["topic"]],
        "probability": [
            None if np.isnan(v) else round(float(v), 3)
            for v in docs.get("probability", pd.Series(np.nan, index=docs.index)).astype(float)
        ],
    }
    for optional in ("date", "label"):
        if data.has_column(optional):
            table[optional] = _column(docs, optional)
    return table


@functools.cache
def plotly_bundle() -> dict[str, str]:
    """plotly.js gzip + base64 (4.8 MB → 2 MB): what keeps 10k documents under 10 MB."""
    packed = gzip.compress(plotly.offline.get_plotlyjs().encode("utf-8"), compresslevel=9, mtime=0)
    return {"encoding": "gzip+base64", "data": base64.b64encode(packed).decode("ascii")}


def encode_documents(table: dict[str, list[Any]]) -> dict[str, str]:
    """gzip + base64 the table: abstracts compress ~3×, which keeps 10k documents under budget.

    The page inflates it with the browser's ``DecompressionStream``; base64 also means no corpus
    byte appears in the HTML source at all.
    """
    raw = json.dumps(table, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    packed = gzip.compress(raw, compresslevel=6, mtime=0)
    return {"encoding": "gzip+base64", "data": base64.b64encode(packed).decode("ascii")}


def page_data(data: RunData) -> dict[str, Any]:
    """Small per-topic data for the topic list, panel and CSV download."""
    docs = data.documents
    row_of = {str(doc_id): row for row, doc_id in enumerate(docs["id"])}
    lang_counts = docs.groupby(["topic", "lang"]).size()
    topics = []
    for record in data.topics.to_dict("records"):
        topic = int(record["topic"])
        words_entry = data.topic_words.get(topic, {})
        representative = [
            row_of[str(i)] for i in words_entry.get("representative_ids") or [] if str(i) in row_of
        ]
        if not representative:
            members = docs.index[docs["topic"].to_numpy() == topic]
            if "probability" in docs.columns:
                members = docs.loc[members, "probability"].sort_values(ascending=False).index
            representative = [int(docs.index.get_loc(i)) for i in members[:3]]
        langs = {str(lang): int(n) for (t, lang), n in lang_counts.items() if int(t) == topic}
        topics.append(
            {
                "topic": topic,
                "size": int(record["size"]),
                "label": data.label_of(topic),
                "label_en": str(record.get("label_en") or ""),
                "label_zh": str(record.get("label_zh") or ""),
                "words": str(record.get("words") or ""),
                "share_zh": _float(record.get("share_zh")),
                "share_en": _float(record.get("share_en")),
                "langs": langs,
                "representative": list(dict.fromkeys(representative))[:5],
            }
        )
    return {
        "run": data.run_name,
        "topics": topics,
        "outlier": OUTLIER,
        "hasDate": data.has_column("date"),
        "hasLabel": data.has_column("label"),
    }


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(number) else round(number, 4)


def chart_outputs(data: RunData) -> list[ChartOutput]:
    """Run every registered chart on ``data``."""
    outputs = []
    for name in registry.charts.names():
        result = registry.charts.get(name)(data)
        if isinstance(result, go.Figure):
            outputs.append(ChartOutput(name, figure_json=result.to_json()))
        elif isinstance(result, str):
            outputs.append(ChartOutput(name, fragment=result))
        else:
            outputs.append(ChartOutput(name))
    return outputs


def build_report(run_dir: Path) -> Path:
    """Write ``index.html`` into a run folder from the folder's own files.

    Parameters
    ----------
    run_dir:
        A run folder (see the run-folder contract).

    Returns
    -------
    pathlib.Path
        The written page.

    Raises
    ------
    topics.errors.InputError
        When the folder lacks a contract file.
    """
    run_dir = Path(run_dir)
    data = load_run(run_dir)
    html_text = render_page(
        run_name=data.run_name,
        manifest=data.manifest,
        n_documents=len(data.documents),
        outputs=chart_outputs(data),
        page_data=page_data(data),
        documents_payload=encode_documents(documents_table(data)),
        plotly_payload=plotly_bundle(),
        nonce=secrets.token_urlsafe(16),
    )
    target = run_dir / REPORT_NAME
    # Temp file in the same folder + os.replace: readers never see a half-written page.
    handle, temp_name = tempfile.mkstemp(prefix=".index-", suffix=".html.tmp", dir=run_dir)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(html_text)
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return target


def open_report(run_dir: Path) -> str:
    """Open a run's page in the default browser, building it first if it is missing.

    Parameters
    ----------
    run_dir:
        The run folder.

    Returns
    -------
    str
        The page's path (the CLI prints it, so it can be opened by hand where no browser is).
    """
    page = Path(run_dir) / REPORT_NAME
    if not page.is_file():
        page = build_report(Path(run_dir))
    page = page.resolve()
    with contextlib.suppress(webbrowser.Error):
        webbrowser.open(page.as_uri())
    return str(page)
