"""Stand-ins BERTopic calls instead of UMAP and HDBSCAN, returning what was computed earlier.

BERTopic never re-runs either (re-tuning labels reuses the cached reduction) and does what it
is good at: c-TF-IDF topic words, representation models, outlier and topic reduction.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class PrecomputedReduction:
    """A UMAP stand-in that returns coordinates computed (or cached) earlier."""

    def __init__(self, coords: np.ndarray) -> None:
        self.coords = coords

    def fit(self, X: Any, y: Any = None) -> PrecomputedReduction:  # noqa: N803 (sklearn API)
        return self

    def transform(self, X: Any) -> np.ndarray:  # noqa: N803
        if X.shape[0] != self.coords.shape[0]:
            raise ValueError("PrecomputedReduction only transforms the documents it was built for")
        return self.coords


class PrecomputedClusters:
    """An HDBSCAN stand-in exposing labels computed earlier as ``labels_``."""

    def __init__(self, labels: np.ndarray, probabilities: np.ndarray) -> None:
        self.labels = labels
        self.probabilities = probabilities

    def fit(self, X: Any, y: Any = None) -> PrecomputedClusters:  # noqa: N803
        self.labels_ = self.labels
        self.probabilities_ = self.probabilities
        return self
