"""The run folder's files, loaded once into one typed value the charts share.

The report reads only the run-folder contract (``topics.csv``, ``topic_words.json``,
``documents.parquet``, ``map2d.npy``, ``topic_vectors.npy``, ``manifest.json``), so a page can be
rebuilt from any finished run without the fitted model.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from topics.common import OUTLIER, shown_name
from topics.errors import InputError, reading_run_file
from topics.run_folder.read import (
    read_json,
    read_text_rows,
    text_bytes,
)

REQUIRED_FILES = (
    "manifest.json",
    "topics.csv",
    "topic_words.json",
    "documents.parquet",
    "map2d.npy",
    "topic_vectors.npy",
)


#: Documents the page carries in full; above it, a sample (see :attr:`RunData.shown_rows`).
PAGE_DOCUMENT_LIMIT = 30_000
#: UTF-8 bytes of titles and texts the page carries at most: ~20 MB once gzip+base64 encoded
#: for Chinese text (English packs smaller), leaving room for plotly.js and the charts.
PAGE_TEXT_BYTES = 30_000_000
#: Columns read only for the documents the page carries (a million abstracts are ~1 GB).
TEXT_COLUMNS = ("title", "text")


@dataclass(frozen=True)
class RunData:
    """Everything the dashboard shows, read from one run folder.

    Attributes
    ----------
    run_dir:
        The run folder.
    manifest:
        ``manifest.json`` as a dict.
    topics:
        ``topics.csv``: one row per topic (``-1`` first when present), ``topic`` as int.
    topic_words:
        ``topic -> {"label", "words", "words_en", "words_zh", "representative_ids"}`` from
        ``topic_words.json``; words are ``[(word, score), ...]`` best first.
    documents:
        ``documents.parquet`` in corpus order without its text columns (``id, lang, topic,
        probability`` and optionally ``date``, ``label``, ``duplicate_of``, layer columns);
        :attr:`shown_documents` adds ``title`` and ``text`` for the rows the page carries.
    map2d:
        ``(n_documents, 2)`` float32 coordinates aligned with ``documents``.
    topic_vectors:
        ``(n_topics, d)`` float32 mean embeddings of the non-outlier topics, ascending topic id.
    layers:
        ``layers.csv`` (``layer, id, parent, size, label, ...``) when the run has one.
    text_bytes:
        UTF-8 bytes of each document's title and text (streamed, never held as strings).
    trends, candidates:
        ``trends.csv`` and ``candidates.csv`` when the run has them.
    """

    run_dir: Path
    manifest: dict[str, Any]
    topics: pd.DataFrame
    topic_words: dict[int, dict[str, Any]]
    documents: pd.DataFrame
    map2d: np.ndarray
    topic_vectors: np.ndarray
    layers: pd.DataFrame | None = None
    text_bytes: np.ndarray | None = None
    trends: pd.DataFrame | None = None
    candidates: pd.DataFrame | None = None

    @property
    def topic_ids(self) -> list[int]:
        """Non-outlier topic ids, ascending (the row order of ``topic_vectors``)."""
        return sorted(int(t) for t in self.topics["topic"] if int(t) != OUTLIER)

    @property
    def run_name(self) -> str:
        """The run's name from the manifest, else the folder name."""
        return str(self.manifest.get("run", {}).get("name") or self.run_dir.name)

    def label_of(self, topic: int) -> str:
        """Display label of a topic (``"Outliers"`` for -1)."""
        if topic == OUTLIER:
            return "Outliers"
        row = self.topics.loc[self.topics["topic"] == topic]
        label = shown_name(row.iloc[0].to_dict()) if len(row) else ""
        return label or f"Topic {topic}"

    def sizes(self) -> dict[int, int]:
        """``topic -> size`` from the topics table."""
        return {
            int(t): int(s) for t, s in zip(self.topics["topic"], self.topics["size"], strict=True)
        }

    @functools.cached_property
    def shown_rows(self) -> np.ndarray:
        """Rows of ``documents`` the page carries (map, search, document panel, CSV download).

        Every document while there are at most :data:`PAGE_DOCUMENT_LIMIT` and their titles and
        texts hold at most :data:`PAGE_TEXT_BYTES`; beyond either, each topic's representative
        documents and then a seeded random sample, up to both limits — so the page stays under
        25 MB at any corpus size (100k abstracts made a 58 MB page; a count limit alone let a
        1M run with 596 topics reach 26 MB). Counts, topic sizes and every breakdown chart
        still use all documents; ``documents.parquet`` keeps them all.
        """
        documents = self.documents
        n = len(documents)
        sizes = np.zeros(n, dtype=np.int64) if self.text_bytes is None else self.text_bytes
        if n <= PAGE_DOCUMENT_LIMIT and sizes.sum() <= PAGE_TEXT_BYTES:
            return np.arange(n)
        seed = int(self.manifest.get("run", {}).get("seed", 42) or 42)
        row_of = {str(doc_id): row for row, doc_id in enumerate(documents["id"])}
        representative = [
            row_of[str(doc_id)]
            for entry in self.topic_words.values()
            for doc_id in entry.get("representative_ids") or []
            if str(doc_id) in row_of
        ]
        candidates = np.concatenate(
            [np.asarray(representative, dtype=np.int64), np.random.default_rng(seed).permutation(n)]
        )
        candidates = candidates[np.sort(np.unique(candidates, return_index=True)[1])]
        within = np.cumsum(sizes[candidates]) <= PAGE_TEXT_BYTES
        within[: len(set(representative))] = True  # representatives are always shown
        count = max(len(set(representative)), PAGE_DOCUMENT_LIMIT)
        return np.sort(candidates[within][:count])

    @functools.cached_property
    def shown_documents(self) -> pd.DataFrame:
        """The :attr:`shown_rows` of ``documents`` with their ``title`` and ``text`` read in."""
        shown = self.documents.iloc[self.shown_rows].reset_index(drop=True)
        texts = read_text_rows(self.run_dir / "documents.parquet", self.shown_rows)
        for column, values in texts.items():
            shown[column] = values
        return shown

    @property
    def sampled(self) -> bool:
        """Whether the page carries a sample of the documents (see :attr:`shown_rows`)."""
        return len(self.shown_rows) < len(self.documents)

    @functools.cached_property
    def periods(self) -> list[str | None] | None:
        """Each document's trends period (as ``trends.csv`` names it), or ``None`` for a run
        without trends."""
        from topics.trends import document_dates, period_labels

        period = (self.manifest.get("trends") or {}).get("period")
        if not period:
            return None
        return period_labels(document_dates(self.documents), period)

    def texts_of(self, rows: np.ndarray) -> dict[str, list[Any]]:
        """``title`` and ``text`` of the documents at ``rows`` (sorted), read from the file."""
        return read_text_rows(self.run_dir / "documents.parquet", np.asarray(rows))

    def has_column(self, name: str) -> bool:
        """Whether documents carry a non-empty ``name`` column (``date``, ``label``)."""
        return name in self.documents.columns and bool(self.documents[name].notna().any())


def load_run(run_dir: Path) -> RunData:
    """Read a run folder into :class:`RunData`.

    Parameters
    ----------
    run_dir:
        A folder written by the pipeline.

    Returns
    -------
    RunData
        The run's files, typed.

    Raises
    ------
    InputError
        When a contract file is missing or unreadable, or the map rows do not match the
        documents.
    """
    from topics.run_folder import RunFolder, layout

    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise InputError(f"Run folder '{run_dir}' does not exist.")
    folder = RunFolder(run_dir)
    folder.require(*layout.REQUIRED_FILES)
    manifest = read_json(run_dir / "manifest.json")
    topics = folder.topics()
    words_file = read_json(run_dir / "topic_words.json")
    with reading_run_file(run_dir / "topic_words.json"):
        topic_words = {int(entry["topic"]): entry for entry in words_file.get("topics", [])}
    documents = folder.documents()
    with reading_run_file(run_dir / "documents.parquet"):
        document_text_bytes = text_bytes(run_dir / "documents.parquet")
    map2d = folder.map2d(len(documents))
    topic_vectors = folder.topic_vectors()
    layers = folder.layers()
    return RunData(
        run_dir=run_dir,
        manifest=manifest,
        topics=topics,
        topic_words=topic_words,
        documents=documents,
        map2d=map2d,
        topic_vectors=topic_vectors,
        layers=layers,
        text_bytes=document_text_bytes,
        trends=folder.trends(),
        candidates=folder.candidates(),
    )
