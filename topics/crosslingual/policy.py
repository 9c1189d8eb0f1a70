"""Translation policy of a run: which vectors detect translations, what to do with the pairs.

The detector (:mod:`topics.crosslingual.duplicates`) is tuned on multilingual-USE vectors;
other vectors put unrelated papers as close as translations (static: 0.92 vs 0.62 median), so
detection runs only when the run's embedder is, or contains, a component that declares the
``use_vectors`` capability (``use``, or ``combined`` with ``use`` among its components), with
that backend's threshold from :data:`~topics.crosslingual.duplicates.THRESHOLDS`.

A detected pair is one subject in two languages: :func:`align_labels` keeps it in one cluster,
and every clustering of the run (the main one and the stability refits) goes through it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from topics.crosslingual.duplicates import (
    THRESHOLDS,
    align_translation_labels,
    find_translation_duplicates,
)
from topics.errors import ConfigError
from topics.hashing import digest
from topics.registry import part_with
from topics.scratch import take_rows
from topics.types import Clusters, Corpus, Embeddings


@dataclass(frozen=True)
class Detector:
    """The embedder whose vectors detect translations, and its similarity threshold."""

    embedder: Any
    threshold: float


def translation_detector(embedder: Any) -> Detector | None:
    """The run's embedder (or its component) that can detect translations, else ``None``.

    Parameters
    ----------
    embedder:
        The run's built embedder (see :func:`topics.embed.make_embedder`).

    Returns
    -------
    Detector or None
        ``None`` when no part of ``embedder`` gives USE vectors or its backend has no tuned
        threshold.
    """
    part = part_with(embedder, "use_vectors")
    threshold = THRESHOLDS.get(getattr(part, "name", ""))
    return None if part is None or threshold is None else Detector(part, threshold)


def mark_translations(
    corpus: Corpus,
    embeddings: Embeddings,
    vectors: np.ndarray | None,
    dedup: str,
    threshold: float | None = None,
) -> tuple[Corpus, Embeddings]:
    """Record ``duplicate_of`` for likely zh/en translation pairs; drop them if configured.

    Parameters
    ----------
    corpus, embeddings:
        The run's documents (in canonical order: "later" copy means later in that order,
        so the copy marked does not depend on the order of ``corpus.paths``) and vectors.
    vectors:
        The detector's vectors, rows aligned with ``corpus`` (``None``: the run has none).
    dedup:
        ``corpus.dedup``: ``"translations"`` drops the marked copies.
    threshold:
        The detector's similarity threshold (``None``: the detector's default).

    Returns
    -------
    (Corpus, Embeddings)
        The corpus with ``duplicate_of``/``translation_duplicates`` filled (and the marked
        copies dropped, with their vectors, under ``dedup: translations``).

    Raises
    ------
    ConfigError
        ``dedup: translations`` without detector vectors.
    """
    if not {"zh", "en"} <= set(corpus.langs):
        return corpus, embeddings
    if vectors is None:
        if dedup == "translations":
            raise ConfigError(
                "The 'corpus.dedup' parameter 'translations' needs USE vectors: set "
                "embedding.backend to 'use' or to 'combined' with 'use' among its components. "
                f"Got embedding.backend '{embeddings.backend}' instead."
            )
        return corpus, embeddings
    options = {} if threshold is None else {"threshold": threshold}
    duplicate_of = find_translation_duplicates(
        corpus.ids, corpus.texts, corpus.langs, vectors, **options
    )
    flagged = sum(1 for d in duplicate_of if d)
    corpus = replace(corpus, duplicate_of=duplicate_of, translation_duplicates=flagged)
    if dedup != "translations" or not flagged:
        return corpus, embeddings
    keep = np.array([d is None for d in duplicate_of])
    kept = corpus.subset(np.flatnonzero(keep))
    return kept, replace(
        embeddings,
        vectors=take_rows(embeddings.vectors, np.flatnonzero(keep)),
        cache_key=digest(embeddings.cache_key, "without-translations", kept.ids),
    )


def align_labels(corpus: Corpus, labels: np.ndarray) -> np.ndarray:
    """``labels`` with every detected translation pair in one cluster (unchanged if none).

    See :func:`~topics.crosslingual.duplicates.align_translation_labels`.
    """
    if not corpus.translation_duplicates or corpus.duplicate_of is None:
        return np.asarray(labels)
    return align_translation_labels(labels, corpus.ids, corpus.duplicate_of)


def align_clusters(corpus: Corpus, clusters: Clusters, note: dict[str, str]) -> Clusters:
    """Detected translation pairs in one cluster; ``found`` keeps the labels as clustered."""
    if not corpus.translation_duplicates:
        return clusters
    aligned = align_labels(corpus, clusters.labels)
    note["text"] += f"; {int((aligned != clusters.labels).sum())} translation(s) aligned"
    found = clusters.labels if clusters.found is None else clusters.found
    return replace(clusters, labels=aligned, found=found)
