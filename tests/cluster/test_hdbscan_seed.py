"""HDBSCAN is deterministic: the run's seed does not (and need not) reach it."""

from __future__ import annotations

import numpy as np

from topics.cluster import cluster
from topics.config import HdbscanSection
from topics.types import Reduced


def test_labels_do_not_depend_on_the_seed() -> None:
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [6, 0], [0, 6]], dtype=np.float32)
    points = np.concatenate([c + rng.normal(scale=0.5, size=(20, 2)) for c in centres])
    reduced = Reduced(coords=points.astype(np.float32), cache_key="k")
    section = HdbscanSection(min_cluster_size=5, cluster_selection_method="eom")
    first = cluster(reduced, section, seed=1)
    assert len(set(first.labels.tolist()) - {-1}) == 3
    for seed in (2, 12345):
        again = cluster(reduced, section, seed=seed)
        np.testing.assert_array_equal(again.labels, first.labels)
        np.testing.assert_array_equal(again.probabilities, first.probabilities)
