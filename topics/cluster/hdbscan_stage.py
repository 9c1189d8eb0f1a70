"""HDBSCAN clustering of reduced embeddings."""

from __future__ import annotations

import math
import warnings

import numpy as np

from topics.config import HdbscanSection
from topics.types import Clusters, Reduced


def auto_min_cluster_size(n_documents: int) -> int:
    """Smallest topic size that suits a corpus of ``n_documents``.

    Grows like ``sqrt(n)/3`` (54 abstracts → 3, 2k → 15, 10k → 33, 1M → 333) so the same config
    gives a handful of topics on a tiny sample and tens on a large corpus, instead of BERTopic's
    fixed 10 that yields thousands of micro-topics at scale (BERTopic #569). Measured with
    ``bench/quality.py`` (2k-abstract subsets, USE, min_samples 3, leaf): ``sqrt(n)/2`` (22)
    gave 23–31 topics and NMI .33/.25 on arXiv/OHSUMED, ``/3`` (15) 34–42 topics and NMI
    .35/.26; OHSUMED's 23 labels and CSL's 67 disciplines favour the smaller size.
    """
    return int(min(500, max(3, round(math.sqrt(n_documents) / 3))))


def resolve_min_cluster_size(section: HdbscanSection, n_documents: int) -> int:
    """The min_cluster_size actually used (``auto`` resolved, capped by the corpus size)."""
    size = section.min_cluster_size
    if size == "auto":
        size = auto_min_cluster_size(n_documents)
    return int(max(2, size))


def cluster(reduced: Reduced, section: HdbscanSection, seed: int) -> Clusters:
    """Cluster the reduced coordinates with HDBSCAN.

    HDBSCAN is deterministic given its input (points and their order), so ``seed`` does not
    reach it: it is accepted so every stage has the same shape and a randomised clusterer can be
    registered later without changing callers. ``run.seed`` reaches the clustering via UMAP only.
    """
    import hdbscan

    del seed
    coords = np.asarray(reduced.coords, dtype=np.float64)
    n_documents = coords.shape[0]
    size = resolve_min_cluster_size(section, n_documents)
    if n_documents < max(size, 3):
        # Fewer documents than the smallest topic: everything is an outlier.
        return Clusters(
            labels=np.full(n_documents, -1, dtype=np.int64),
            probabilities=np.zeros(n_documents, dtype=np.float32),
            min_cluster_size=size,
        )
    model = hdbscan.HDBSCAN(
        min_cluster_size=size,
        min_samples=min(section.min_samples or size, n_documents - 1),
        cluster_selection_method=section.cluster_selection_method,
        cluster_selection_epsilon=section.cluster_selection_epsilon,
        metric=section.metric,
        prediction_data=True,
        # hdbscan's default (4) starts joblib worker processes on first use: measured on 50k
        # 5-d points here, 10.0 s and 0.9 GB of workers against 2.2 s in-process; same labels.
        core_dist_n_jobs=1,
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        model.fit(coords)
    return Clusters(
        labels=np.asarray(model.labels_, dtype=np.int64),
        probabilities=np.asarray(model.probabilities_, dtype=np.float32),
        clusterer=model,
        min_cluster_size=size,
    )
