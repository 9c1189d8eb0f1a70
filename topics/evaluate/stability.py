"""Seed stability: how much the clustering changes when only the random seed does."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from topics.evaluate.metrics import pairwise_ari


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
