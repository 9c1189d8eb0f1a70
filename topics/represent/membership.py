"""HDBSCAN's membership numbers, carried over to BERTopic's topic ids.

BERTopic renumbers HDBSCAN's clusters by size and renumbers them again when ``nr_topics``
merges them, so a cluster label and a topic id are different names for the same group. The
mapping is read off the two label arrays (BERTopic assigns whole clusters), not taken from
BERTopic's private bookkeeping.

What ``probability`` means (the ``documents.parquet`` column)
-------------------------------------------------------------
HDBSCAN's membership strength (``probabilities_``, in [0, 1]) of the document in the HDBSCAN
cluster that became its topic, or was merged into it by topic reduction (then it is the
membership in the original cluster, a part of the merged topic). Documents left as outliers get
0, as HDBSCAN gives noise. Documents whose topic did not come from their own HDBSCAN cluster —
outliers reassigned by ``topics.outliers``, translations moved to their pair's topic — get NaN:
HDBSCAN gave them no membership in that topic, and the score used to reassign them (a cosine
similarity, a c-TF-IDF similarity, a soft-clustering share) is on a different scale per strategy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from topics.common import OUTLIER


def cluster_topics(labels: np.ndarray, topics: np.ndarray) -> dict[int, int]:
    """BERTopic's topic id for each HDBSCAN cluster, read off the two label arrays.

    Parameters
    ----------
    labels:
        The cluster labels BERTopic was given (``-1`` = outlier).
    topics:
        BERTopic's topic per document after ``fit_transform`` (renumbered by size, merged by
        ``nr_topics``), before any outlier reduction.

    Returns
    -------
    dict[int, int]
        ``cluster label -> topic id`` for every cluster present in ``labels``.

    Raises
    ------
    ValueError
        If the documents of one cluster ended in different topics (BERTopic assigns whole
        clusters, so this means the arrays are not aligned).
    """
    labels = np.asarray(labels, dtype=np.int64)
    topics = np.asarray(topics, dtype=np.int64)
    members = labels != OUTLIER
    pairs = np.unique(np.stack([labels[members], topics[members]], axis=1), axis=0)
    clusters, counts = np.unique(pairs[:, 0], return_counts=True)
    if (counts > 1).any():
        split = clusters[counts > 1].tolist()
        raise ValueError(f"HDBSCAN cluster(s) {split} ended in more than one BERTopic topic")
    return {int(cluster): int(topic) for cluster, topic in pairs}


def topics_of_clusters(labels: np.ndarray, cluster_topic: dict[int, int]) -> np.ndarray:
    """Each document's topic from its cluster label (``-1`` for outliers and unknown clusters).

    Documents voted into a cluster of the fitted core get the topic BERTopic made of it.
    """
    return _lookup(cluster_topic, labels, missing=OUTLIER)


def _lookup(mapping: dict[int, int], keys: np.ndarray, missing: int) -> np.ndarray:
    """``mapping[k]`` for each of ``keys`` (``missing`` where absent), without a Python loop."""
    keys = np.asarray(keys, dtype=np.int64)
    size = max([*mapping.keys(), int(keys.max(initial=-1))], default=-1) + 2
    table = np.full(size, missing, dtype=np.int64)  # index k + 1, so that -1 has a slot
    for key, value in mapping.items():
        table[key + 1] = value
    return table[keys + 1]


def document_probabilities(
    hdbscan_labels: np.ndarray,
    hdbscan_probabilities: np.ndarray,
    cluster_topic: dict[int, int],
    assignments: np.ndarray,
) -> np.ndarray:
    """Each document's ``probability`` (see the module docstring for what it means).

    Parameters
    ----------
    hdbscan_labels, hdbscan_probabilities:
        HDBSCAN's own ``labels_`` and ``probabilities_`` (before translation alignment).
    cluster_topic:
        From :func:`cluster_topics`.
    assignments:
        Final topic per document.

    Returns
    -------
    numpy.ndarray
        float32: HDBSCAN's membership where the document's own cluster is (part of) its topic,
        0 for outliers, NaN for documents whose topic was given by something else.
    """
    hdbscan_labels = np.asarray(hdbscan_labels, dtype=np.int64)
    assignments = np.asarray(assignments, dtype=np.int64)
    result = np.full(assignments.shape[0], np.nan, dtype=np.float32)
    result[assignments == OUTLIER] = 0.0
    own_topic = _lookup(cluster_topic, hdbscan_labels, missing=-2)
    kept = (hdbscan_labels != OUTLIER) & (own_topic == assignments)
    result[kept] = np.asarray(hdbscan_probabilities, dtype=np.float32)[kept]
    return result


def hdbscan_labels_of(clusters: Any) -> np.ndarray:
    """HDBSCAN's own labels: ``clusters.labels`` may have been changed by translation alignment.

    ``clusters.found`` (or the fitted clusterer's ``labels_``) keeps what HDBSCAN decided, which
    is what ``clusters.probabilities`` describe; without either (nothing was clustered) the
    labels are all there is.
    """
    labels = np.asarray(clusters.labels, dtype=np.int64)
    found = getattr(clusters, "found", None)
    if found is not None and len(found) == len(labels):
        return np.asarray(found, dtype=np.int64)
    own = getattr(clusters.clusterer, "labels_", None)
    if own is not None and len(own) == len(labels):
        return np.asarray(own, dtype=np.int64)
    return labels


def topic_membership(clusterer: Any, cluster_topic: dict[int, int], n_topics: int) -> np.ndarray:
    """HDBSCAN's soft clustering as a ``(documents, topics)`` matrix in BERTopic's topic ids.

    Column ``t`` is the sum of the membership vectors of the clusters that became topic ``t``
    (as BERTopic merges probabilities when it reduces topics); clusters no document kept
    (all moved by translation alignment) are dropped.

    Parameters
    ----------
    clusterer:
        The fitted ``hdbscan.HDBSCAN`` (built with ``prediction_data=True``).
    cluster_topic:
        From :func:`cluster_topics`.
    n_topics:
        Number of real topics (columns).

    Returns
    -------
    numpy.ndarray
        float64 ``(n_documents, n_topics)``; each row sums to at most 1.
    """
    import hdbscan

    vectors = np.asarray(hdbscan.all_points_membership_vectors(clusterer), dtype=np.float64)
    n_clusters = int(np.asarray(clusterer.labels_).max(initial=-1)) + 1
    if vectors.ndim == 1:  # hdbscan returns a flat array when there is no cluster
        vectors = vectors.reshape(-1, 1)[:, :n_clusters]
    if vectors.shape[1] != n_clusters:
        raise ValueError(
            f"hdbscan returned membership vectors for {vectors.shape[1]} clusters; "
            f"the clustering has {n_clusters}"
        )
    result = np.zeros((vectors.shape[0], n_topics), dtype=np.float64)
    for cluster, topic in cluster_topic.items():
        if 0 <= topic < n_topics and cluster < n_clusters:
            result[:, topic] += vectors[:, cluster]
    return result
