"""Typed values passed between pipeline stages.

``Corpus → Embeddings → Reduced → Clusters → Topics``; each stage is a function from the previous
value (plus its own config section) to the next. Arrays may be ``np.memmap`` views of cached
files: no stage should care.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from topics.corpus.texts import take_texts

Lang = str  # "zh" | "en" | "other"


@dataclass(frozen=True)
class Corpus:
    """Cleaned, de-duplicated documents (in reading order as loaded; see ``positions``).

    Attributes
    ----------
    ids, texts, titles, langs:
        One entry per kept document. ``titles`` entries may be ``None``. ``texts`` is any
        sequence of strings: a list, or the run's texts on disk
        (:class:`topics.corpus.texts.DiskTexts`), read when a stage asks.
    dates, labels:
        One entry per document (entries may be ``None``), or ``None`` when the corpus has no
        such field at all.
    sources:
        ``"path:line"`` where each document was read, for error messages and the report.
    documents_read:
        Records read before de-duplication.
    duplicates_dropped:
        Exact duplicates removed (same normalised text).
    duplicate_of:
        For each kept document, the id of the earlier document it translates (``None`` if not
        a translation duplicate); filled by the translation-duplicate detector.
    translation_duplicates:
        How many documents the detector flagged (kept or dropped, per ``corpus.dedup``).
    cut:
        One line saying how many texts were cut to ``corpus.max_chars`` (``None``: none).
    positions:
        Each document's place in reading order (``None`` = the documents are in reading
        order). The pipeline works in :meth:`canonical` order and puts the documents back with
        :meth:`reading_order` before it writes anything.
    """

    ids: list[str]
    texts: Sequence[str]
    titles: list[str | None]
    langs: list[Lang]
    sources: Sequence[str]
    dates: list[str | None] | None = None
    labels: list[str | None] | None = None
    documents_read: int = 0
    duplicates_dropped: int = 0
    duplicate_of: list[str | None] | None = None
    translation_duplicates: int = 0
    positions: Sequence[int] | np.ndarray | None = None
    cut: str | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def text_hashes(self) -> Sequence[str]:
        """Hash of each text: the cache key of its vectors and tokens (computed once)."""
        from topics.hashing import text_hash

        return [text_hash(text) for text in self.texts]

    def subset(self, keep: np.ndarray | list[int]) -> Corpus:
        """Return the documents at positions ``keep`` (counters are carried over)."""
        idx = [int(i) for i in keep]

        def pick(values: Sequence[Any] | None) -> Any:
            if values is None:
                return None
            take = getattr(values, "take", None)  # packed columns subset themselves
            return take(idx) if take is not None else [values[i] for i in idx]

        subset = Corpus(
            ids=[self.ids[i] for i in idx],
            texts=take_texts(self.texts, idx),
            titles=[self.titles[i] for i in idx],
            langs=[self.langs[i] for i in idx],
            sources=pick(self.sources),
            dates=pick(self.dates),
            labels=pick(self.labels),
            documents_read=self.documents_read,
            duplicates_dropped=self.duplicates_dropped,
            duplicate_of=pick(self.duplicate_of),
            translation_duplicates=self.translation_duplicates,
            positions=self.reading_positions[np.asarray(idx, dtype=np.int64)],
            cut=self.cut,
        )
        if "text_hashes" in self.__dict__:  # already hashed: carry the hashes over
            subset.__dict__["text_hashes"] = pick(self.text_hashes)
        return subset

    @property
    def reading_positions(self) -> np.ndarray:
        """Each document's place in reading order, int64 (``0..n-1`` when none was recorded)."""
        if self.positions is None:
            return np.arange(len(self), dtype=np.int64)
        return np.asarray(self.positions, dtype=np.int64)

    def canonical(self) -> Corpus:
        """The same documents sorted by text hash, whatever order they were read in.

        UMAP, HDBSCAN and the translation detector all depend on row order; running them on
        this order makes a run independent of the order of ``corpus.paths`` (BERTopic #2276).
        Texts are unique (exact duplicates are dropped on loading) and their 128-bit hashes
        are taken as unique too, so the texts themselves are not read to break ties.
        """
        hashes = self.text_hashes
        argsort = getattr(hashes, "argsort", None)
        if argsort is not None:  # packed hashes sort as bytes, in the same order
            return self.subset(argsort())
        order = sorted(range(len(self)), key=hashes.__getitem__)
        return self.subset(order)

    def reading_order(self) -> np.ndarray:
        """Row indices that put the documents back in reading order (for the outputs)."""
        return np.argsort(np.asarray(self.reading_positions, dtype=np.int64), kind="stable")


@dataclass(frozen=True)
class Embeddings:
    """Document vectors, float32 ``(n, d)``, rows aligned with the corpus."""

    vectors: np.ndarray
    backend: str
    cache_key: str
    from_cache: bool = False


@dataclass(frozen=True)
class Reduced:
    """UMAP output ``(n, k)`` and the fitted reducer (``None`` when loaded from cache)."""

    coords: np.ndarray
    cache_key: str
    reducer: Any = None
    from_cache: bool = False


@dataclass(frozen=True)
class Clusters:
    """Cluster labels (``-1`` = outlier) and membership probabilities, one per document.

    ``found`` keeps the labels as the clusterer (or the assigner, for documents outside a
    fitted sample) decided them, before translation alignment moved any; ``None`` = same as
    ``labels``.
    """

    labels: np.ndarray
    probabilities: np.ndarray
    clusterer: Any = None
    min_cluster_size: int = 0
    found: np.ndarray | None = None


@dataclass(frozen=True)
class Topics:
    """The topic representation.

    Attributes
    ----------
    table:
        One row per topic (``-1`` first when present) with at least
        ``topic, size, label, words, share_zh, share_en`` and, for bilingual labels,
        ``label_en, label_zh, words_en, words_zh``.
    words:
        ``topic -> [(word, score), ...]`` best first.
    assignments:
        Final topic per document (after outlier reduction / topic reduction).
    probabilities:
        HDBSCAN membership strength of each document in the cluster it was found in (kept
        through topic merges), ``0`` for outliers, ``NaN`` for documents moved to a topic
        afterwards (outlier reduction, translation alignment): no membership was measured.
    model:
        The fitted ``BERTopic`` instance (``None`` when rebuilt from files).
    document_term:
        Sparse ``(n_docs, n_terms)`` count matrix on the run's own tokenization, and
        ``vocabulary`` its column names, used by the metrics.
    term_rows:
        The documents ``document_term`` counts, when not all of them: a run fitted on a core
        (``cluster.fit_sample``) tokenizes and counts the core only.
    topic_vectors:
        ``topic -> unit mean embedding`` of each non-outlier topic.
    representative_ids:
        ``topic -> document ids`` closest to the topic's mean embedding, best first.
    language_words:
        ``lang -> topic -> [(word, score), ...]``: words from the topic's documents in that
        language only (bilingual labels).
    labeler:
        The :class:`topics.represent.labels.GroupLabeler` the labels were made with (layers
        label their groups with it; rows in the pipeline's order, dropped by :meth:`take`).
    generic_label_share:
        Share of label words that do not tell their topic apart (see
        :mod:`topics.represent.labels`).
    """

    table: pd.DataFrame
    words: dict[int, list[tuple[str, float]]]
    assignments: np.ndarray
    probabilities: np.ndarray
    model: Any = None
    document_term: Any = None
    vocabulary: list[str] = field(default_factory=list)
    topic_vectors: dict[int, np.ndarray] = field(default_factory=dict)
    representative_ids: dict[int, list[str]] = field(default_factory=dict)
    language_words: dict[str, dict[int, list[tuple[str, float]]]] = field(default_factory=dict)
    generic_label_share: float | None = None
    labeler: Any = None
    term_rows: np.ndarray | None = None

    def take(self, rows: np.ndarray) -> Topics:
        """The same topics with their per-document values taken at ``rows``.

        Assignments, probabilities and document-term rows follow the documents when
        :meth:`Corpus.subset` reorders them; topic-level values are unchanged.
        """
        from dataclasses import replace

        rows = np.asarray(rows, dtype=np.int64)
        document_term, term_rows = self.document_term, self.term_rows
        if document_term is not None and term_rows is None:
            document_term = document_term[rows]
        elif document_term is not None:
            # Where each counted document went; those not taken are dropped.
            position = np.full(len(self.assignments), -1, dtype=np.int64)
            position[rows] = np.arange(len(rows))
            moved = position[term_rows]
            order = np.argsort(moved, kind="stable")[np.count_nonzero(moved < 0) :]
            document_term, term_rows = document_term[order], moved[order]
        return replace(
            self,
            assignments=np.asarray(self.assignments)[rows],
            probabilities=np.asarray(self.probabilities)[rows],
            document_term=document_term,
            term_rows=term_rows,
            labeler=None,
        )
