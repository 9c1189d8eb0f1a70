"""Fit a core, assign the rest: spread a clustering fitted on a sample to every document.

The pipeline fits UMAP and HDBSCAN on :func:`~topics.assign.knn.core_rows` (above
``cluster.fit_sample`` documents) and hands the result here: the other documents get labels
and map positions from their nearest core documents (:mod:`topics.assign.knn`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from topics.assign.knn import Neighbours, nearest_rows, place, vote
from topics.cluster.hdbscan_stage import resolve_min_cluster_size
from topics.config import HdbscanSection, RunConfig
from topics.engine import LOCAL, Engine
from topics.errors import ConfigError
from topics.hashing import digest
from topics.scratch import take_rows
from topics.types import Clusters, Embeddings, Reduced


@dataclass(frozen=True)
class Spread:
    """Which rows were fitted, which were assigned, and how.

    Attributes
    ----------
    core, rest:
        Sorted row indices (canonical order) of the fitted and the assigned documents.
    neighbours:
        Each assigned document's nearest core documents (indices into ``core``).
    labels, shares:
        Each assigned document's voted label (``-1`` = outlier) and the share of the vote.
    """

    core: np.ndarray
    rest: np.ndarray
    neighbours: Neighbours
    labels: np.ndarray
    shares: np.ndarray

    @property
    def n_documents(self) -> int:
        return len(self.core) + len(self.rest)


def core_embeddings(embeddings: Embeddings, core: np.ndarray) -> Embeddings:
    """The core's vectors, with a cache key of their own (UMAP outputs are cached by it)."""
    return Embeddings(
        vectors=take_rows(embeddings.vectors, core),
        backend=embeddings.backend,
        cache_key=digest("core", embeddings.cache_key, np.asarray(core, dtype=np.int64).tobytes()),
        from_cache=embeddings.from_cache,
    )


CORE_RESOLUTION = 1000
"""A core of ``S`` documents is clustered with ``min_cluster_size`` at least ``S / 1000``."""


def core_hdbscan(section: HdbscanSection, n_documents: int, n_core: int) -> HdbscanSection:
    """The HDBSCAN settings for the core: ``min_cluster_size`` scaled by the sample share,
    but never finer than :data:`CORE_RESOLUTION` topics' worth of the core.

    ``min_cluster_size`` (given or ``auto``) counts documents of the whole corpus, so the core
    gets the same share: the sample then finds the topics a fit on everything would find.
    Measured on CSL (10.6k, ``bench/results/fit_sample.md``): a 2,000 core with ``auto``
    resolved on the sample (15) found 53 topics and NMI .465 against .505 for the full fit;
    scaled (34 × 2,000 / 10,622 → 6), 115 topics and NMI .478 (OHSUMED: .299 against .313).

    Scaling alone fails on large corpora: ``auto`` grows like ``sqrt(n)``, so the scaled size
    shrinks like ``S / sqrt(n)`` (17 on the 50k core of a million abstracts) and HDBSCAN splits
    the core's topics into fragments of a few dozen documents with half the core left as
    outliers. On ``bench/scale.py``'s generator (``bench/results/core_size.jsonl``, 261 source
    groups, 50k core) a million documents gave 607 topics and NMI .608 with 17, 201 topics and
    .640 with 50 (= 50,000 / 1,000), against .648 (202 topics, scaled 52) at 100k: the floor
    keeps the topic count following the corpus, not its size. Every core whose scaled size is
    above the floor (cores of corpora up to ~110k documents with ``auto``) is unchanged.
    """
    full = resolve_min_cluster_size(section, n_documents)
    floor = 3 if section.min_cluster_size == "auto" else 2
    scaled = round(full * n_core / n_documents)
    size = max(floor, scaled, math.ceil(n_core / CORE_RESOLUTION))
    return section.model_copy(update={"min_cluster_size": size})


def spread(
    vectors: np.ndarray,
    core: np.ndarray,
    core_labels: np.ndarray,
    k: int,
    seed: int,
    engine: Engine = LOCAL,
) -> Spread:
    """Assign every row outside ``core`` by a vote of its ``k`` nearest core rows.

    The search runs over partitions of ``engine.partition_size`` rows on ``engine`` (the index
    over the core is built once and shared), so no copy of every other document's vectors is
    made at once.
    """
    rest = np.setdiff1d(np.arange(vectors.shape[0]), core, assume_unique=True)
    neighbours = nearest_rows(take_rows(vectors, core), vectors, rest, k, seed, engine)
    labels, shares = vote(core_labels, neighbours)
    return Spread(core=core, rest=rest, neighbours=neighbours, labels=labels, shares=shares)


def spread_clusters(clusters: Clusters, assigned: Spread) -> Clusters:
    """Labels for every document; membership (``probabilities``) only where HDBSCAN gave one.

    Assigned documents get NaN: HDBSCAN measured no membership for them (the same meaning as
    for outliers reassigned later, see :mod:`topics.represent.membership`).
    """
    n = assigned.n_documents
    labels = np.empty(n, dtype=np.int64)
    labels[assigned.core] = clusters.labels
    labels[assigned.rest] = assigned.labels
    probabilities = np.full(n, np.nan, dtype=np.float32)
    probabilities[assigned.core] = clusters.probabilities
    return Clusters(
        labels=labels,
        probabilities=probabilities,
        clusterer=None,  # fitted on the core only; the full label array is the record
        min_cluster_size=clusters.min_cluster_size,
        found=labels.copy(),
    )


def spread_coords(coords: np.ndarray, core_labels: np.ndarray, assigned: Spread) -> np.ndarray:
    """Coordinates (reduced or 2-D map) for every document from the core's coordinates."""
    coords = np.asarray(coords, dtype=np.float32)
    full = np.empty((assigned.n_documents, coords.shape[1]), dtype=np.float32)
    full[assigned.core] = coords
    full[assigned.rest] = place(coords, core_labels, assigned.neighbours, assigned.labels)
    return full


def spread_reduced(reduced: Reduced, core_labels: np.ndarray, assigned: Spread) -> Reduced:
    """:func:`spread_coords` for a :class:`Reduced` (the fitted reducer stays the core's)."""
    return Reduced(
        coords=spread_coords(reduced.coords, core_labels, assigned),
        cache_key=reduced.cache_key,
        reducer=reduced.reducer,
        from_cache=reduced.from_cache,
    )


def check_fit_sample(config: RunConfig, n_documents: int) -> None:
    """Refuse, before embedding, a setting that needs HDBSCAN on every document."""
    sample = config.cluster.fit_sample
    if (
        sample is not None
        and n_documents > sample
        and config.topics.outliers.strategy == "probabilities"
    ):
        raise ConfigError(
            "The 'topics.outliers.strategy' parameter 'probabilities' needs HDBSCAN's soft "
            f"clustering of every document, but the corpus has {n_documents} documents and "
            f"cluster.fit_sample is {config.cluster.fit_sample}. Use another strategy or set "
            "cluster.fit_sample: null. Got 'probabilities' instead."
        )


def fitted_hdbscan(
    section: HdbscanSection, n_documents: int, core: np.ndarray | None
) -> HdbscanSection:
    """The HDBSCAN settings for the documents UMAP and HDBSCAN see: the run's own, or scaled
    to the core (:func:`core_hdbscan`)."""
    return section if core is None else core_hdbscan(section, n_documents, len(core))
