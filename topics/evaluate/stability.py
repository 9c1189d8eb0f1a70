"""Seed stability: how much the clustering changes when only the random seed does."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from topics.evaluate.metrics import pairwise_ari

if TYPE_CHECKING:
    from topics.cache import ArrayCache
    from topics.config import HdbscanSection, UmapSection
    from topics.types import Embeddings


def seed_stability(
    first: np.ndarray,
    refit: Callable[[int], np.ndarray],
    seeds: Sequence[int],
    finish: Callable[[np.ndarray], np.ndarray] = np.asarray,
) -> float | None:
    """Mean pairwise ARI between the run's clustering and refits under other seeds.

    Parameters
    ----------
    first:
        The run's cluster labels, after ``finish``.
    refit:
        ``seed -> labels``: the same reduction and clustering under another seed.
    seeds:
        The seeds of the refits (none, or one: no stability to report).
    finish:
        What the run did to its labels after clustering (keeping translation pairs together):
        applied to every refit as well, so runs are compared like with like.

    Returns
    -------
    float or None
        The mean ARI over all pairs of runs, rounded to 4 places; ``None`` without refits.
    """
    if not seeds:
        return None
    return stability_of(first, [finish(refit(seed)) for seed in seeds])


def stability_of(first: np.ndarray, refits: Sequence[np.ndarray]) -> float | None:
    """:func:`seed_stability` of refits already made (``None`` without any)."""
    if not refits:
        return None
    return round(float(pairwise_ari([np.asarray(first), *refits])), 4)


def topic_stability(
    topics: np.ndarray, clustered: np.ndarray, refits: Sequence[np.ndarray]
) -> dict[int, float]:
    """Which topics survive a reseed: per topic, the mean over refits of the Jaccard overlap
    with the refit cluster it is matched to one to one (Hungarian, as ``topics compare``
    matches two runs; 0 when no cluster is left for it).

    Parameters
    ----------
    topics:
        Final topic of each fitted document.
    clustered:
        Whether HDBSCAN put the document in a cluster (outlier reduction moved the others:
        a refit has no outlier reduction, so only clustered documents are compared).
    refits:
        Cluster labels of each refit (``-1`` outliers), rows aligned with ``topics``.

    Returns
    -------
    dict
        ``{topic: stability in [0, 1]}`` rounded to 3 places; empty without refits.
    """
    from topics.matching import match_one_to_one

    members = np.where(np.asarray(clustered, bool), np.asarray(topics, np.int64), -1)
    ids = np.unique(members[members != -1])
    if not len(refits) or not len(ids):
        return {}
    total = np.zeros(len(ids))
    for refit in refits:
        refit = np.asarray(refit, np.int64)
        clusters = np.unique(refit[refit != -1])
        both = (members != -1) & (refit != -1)
        counts = np.zeros((len(ids), len(clusters)))
        np.add.at(
            counts,
            (np.searchsorted(ids, members[both]), np.searchsorted(clusters, refit[both])),
            1,
        )
        size_a = np.array([(members == t).sum() for t in ids], dtype=float)
        size_b = np.array([(refit == c).sum() for c in clusters], dtype=float)
        jaccard = counts / np.maximum(size_a[:, None] + size_b[None, :] - counts, 1)
        for i, j in match_one_to_one(jaccard, 0.0):
            total[i] += jaccard[i, j]
    return {int(t): round(float(v / len(refits)), 3) for t, v in zip(ids, total, strict=True)}


def refit_labels(
    embeddings: Embeddings,
    umap_section: UmapSection,
    hdbscan_section: HdbscanSection,
    cache: ArrayCache,
    seed: int,
) -> np.ndarray:
    """Cluster labels of the run's reduction and clustering under another seed (the UMAP
    output cached per seed, so a re-run of a stability check refits nothing)."""
    from topics.cluster import cluster, reduce_cached

    reduced = reduce_cached(embeddings, umap_section, seed, cache)
    return cluster(reduced, hdbscan_section, seed).labels
