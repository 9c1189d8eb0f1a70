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
    runs = [np.asarray(first)] + [finish(refit(seed)) for seed in seeds]
    return round(float(pairwise_ari(runs)), 4)


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
