"""The data the page embeds: the document table, per-topic panel data and plotly.js.

Everything here is JSON-able and built from :class:`~topics.report.data.RunData` only; the
page (:mod:`topics.report.page`) places it, the page script reads it.
"""

from __future__ import annotations

import base64
import functools
import gzip
import json
from typing import Any

import numpy as np
import pandas as pd
import plotly.offline

from topics.common import shown_name
from topics.diagnostics import LANGUAGE_NAMES
from topics.report.data import OUTLIER, RunData


def _column(frame: pd.DataFrame, name: str) -> list[Any]:
    """A document column as JSON-able values (missing → ``None``)."""
    if name not in frame.columns:
        return [None] * len(frame)
    return [
        None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in frame[name]
    ]


def documents_table(data: RunData) -> dict[str, list[Any]]:
    """The document table the page embeds once (columnar: shorter JSON than records).

    It holds :attr:`RunData.shown_rows` only; the page refers to documents by their position in
    this table (map ``customdata``, representative documents, search results).
    """
    docs = data.shown_documents
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
    if data.periods is not None:
        table["period"] = [data.periods[row] for row in data.shown_rows]
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
    lang_counts = docs.groupby(["topic", "lang"]).size()  # all documents, not the page's sample
    shown = data.shown_documents
    row_of = {str(doc_id): row for row, doc_id in enumerate(shown["id"])}
    notes = language_notes(data.manifest)
    group_of, groups = overview_groups(data)
    topics = []
    for record in data.topics.to_dict("records"):
        topic = int(record["topic"])
        words_entry = data.topic_words.get(topic, {})
        representative = [
            row_of[str(i)] for i in words_entry.get("representative_ids") or [] if str(i) in row_of
        ]
        if not representative:
            members = shown.index[shown["topic"].to_numpy() == topic]
            if "probability" in shown.columns:
                members = shown.loc[members, "probability"].sort_values(ascending=False).index
            representative = [int(i) for i in members[:3]]
        langs = {str(lang): int(n) for (t, lang), n in lang_counts.items() if int(t) == topic}
        topics.append(
            {
                "topic": topic,
                "size": int(record["size"]),
                "label": data.label_of(topic),
                "keywords": _text(record.get("label")),
                "name_en": _text(record.get("name_en")),
                "name_zh": _text(record.get("name_zh")),
                "label_en": _text(record.get("label_en")),
                "label_zh": _text(record.get("label_zh")),
                "words": str(record.get("words") or ""),
                "share_zh": _float(record.get("share_zh")),
                "share_en": _float(record.get("share_en")),
                "langs": langs,
                "representative": list(dict.fromkeys(representative))[:5],
                "language_note": notes.get(topic, ""),
                "group": group_of.get(topic),
            }
        )
    return {
        "run": data.run_name,
        "topics": topics,
        "outlier": OUTLIER,
        "groups": groups,
        "hasDate": data.has_column("date"),
        "shown": len(data.shown_rows),
        "total": len(docs),
        "hasLabel": data.has_column("label"),
        "periods": [] if data.periods is None else sorted({p for p in data.periods if p}),
    }


def overview_groups(data: RunData) -> tuple[dict[int, int], list[dict[str, Any]]]:
    """Each fine topic's overview group and the groups (``id, label, size``), largest first.

    Empty when the run has no coarser layer (``layers.csv`` absent or fine topics only).
    """
    from topics.layers import Layers

    table = data.layers
    if table is None or table.empty or int(table["layer"].max()) < 1:
        return {}, []
    top = int(table["layer"].max())
    group_of = Layers.from_table(table).parents[-1]
    nodes = table[table["layer"] == top].sort_values(["size", "id"], ascending=[False, True])
    groups = [
        {"id": int(r["id"]), "label": shown_name(r), "size": int(r["size"])}
        for r in nodes.to_dict("records")
    ]
    return group_of, groups


def _text(value: Any) -> str:
    """A cell as text (``""`` for a missing one: pandas reads an empty cell as NaN)."""
    return value if isinstance(value, str) else ""


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(number) else round(number, 4)


def language_notes(manifest: dict[str, Any]) -> dict[int, str]:
    """``topic -> note`` for topics the language-split diagnostic listed (topic panel detail).

    The header shows the one-line summary; each listed topic's panel says how one-sided it
    is, collapsed, so a run with 100 such topics does not push the page below the fold.
    """
    split = (manifest.get("diagnostics") or {}).get("language_split") or {}
    corpus_shares = split.get("corpus_shares") or {}
    notes = {}
    for entry in split.get("topics") or []:
        name = LANGUAGE_NAMES.get(str(entry.get("lang")), str(entry.get("lang")))
        corpus_share = corpus_shares.get(entry.get("lang"))
        in_corpus = (
            f" in a corpus that is {float(corpus_share):.0%} {name}"
            if corpus_share is not None
            else ""
        )
        notes[int(entry["topic"])] = (
            f"{float(entry['share']):.0%} of this topic's {int(entry['size'])} documents are "
            f"{name}{in_corpus}. See the language warning at the top of the page."
        )
    return notes
