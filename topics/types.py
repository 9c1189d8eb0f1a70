"""Typed values passed between pipeline stages.

``Corpus → Embeddings → Reduced → Clusters → Topics``; each stage is a function from the previous
value (plus its own config section) to the next. Arrays may be ``np.memmap`` views of cached
files: no stage should care.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

Lang = str  # "zh" | "en" | "other"


@dataclass(frozen=True)
class Corpus:
    """Cleaned, de-duplicated documents in input order.

    Attributes
    ----------
    ids, texts, titles, langs:
        One entry per kept document. ``titles`` entries may be ``None``.
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
    """

    ids: list[str]
    texts: list[str]
    titles: list[str | None]
    langs: list[Lang]
    sources: list[str]
    dates: list[str | None] | None = None
    labels: list[str | None] | None = None
    documents_read: int = 0
    duplicates_dropped: int = 0
    duplicate_of: list[str | None] | None = None
    translation_duplicates: int = 0

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def text_hashes(self) -> list[str]:
        """Hash of each text: the cache key of its vectors and tokens (computed once)."""
        from topics.cache import text_hash

        return [text_hash(text) for text in self.texts]

    def subset(self, keep: np.ndarray | list[int]) -> Corpus:
        """Return the documents at positions ``keep`` (counters are carried over)."""
        idx = [int(i) for i in keep]

        def pick(values: list[Any] | None) -> list[Any] | None:
            return None if values is None else [values[i] for i in idx]

        return Corpus(
            ids=[self.ids[i] for i in idx],
            texts=[self.texts[i] for i in idx],
            titles=[self.titles[i] for i in idx],
            langs=[self.langs[i] for i in idx],
            sources=[self.sources[i] for i in idx],
            dates=pick(self.dates),
            labels=pick(self.labels),
            documents_read=self.documents_read,
            duplicates_dropped=self.duplicates_dropped,
            duplicate_of=pick(self.duplicate_of),
            translation_duplicates=self.translation_duplicates,
        )


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
    """Cluster labels (``-1`` = outlier) and membership probabilities, one per document."""

    labels: np.ndarray
    probabilities: np.ndarray
    clusterer: Any = None
    min_cluster_size: int = 0


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
        Probability of the assigned topic per document.
    model:
        The fitted ``BERTopic`` instance (``None`` when rebuilt from files).
    document_term:
        Sparse ``(n_docs, n_terms)`` count matrix on the run's own tokenization, and
        ``vocabulary`` its column names, used by the metrics.
    topic_vectors:
        ``topic -> unit mean embedding`` of each non-outlier topic.
    representative_ids:
        ``topic -> document ids`` closest to the topic's mean embedding, best first.
    language_words:
        ``lang -> topic -> [(word, score), ...]``: words from the topic's documents in that
        language only (bilingual labels).
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
