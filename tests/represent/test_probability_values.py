"""``probability``: HDBSCAN's membership, carried through BERTopic's renumbering and merging."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from topics.represent.membership import cluster_topics, document_probabilities


def _bertopic_mapping(topics) -> dict[int, int]:  # noqa: ANN001 (Topics)
    """BERTopic's own record of which HDBSCAN label became which topic (an independent oracle)."""
    mapping = topics.model.topic_mapper_.get_mappings(original_topics=True)
    return {int(k): int(v) for k, v in mapping.items()}


def test_probabilities_are_hdbscan_memberships(sample_stages) -> None:
    labels = sample_stages.clusters.labels
    hdbscan_probabilities = sample_stages.clusters.probabilities
    topics = sample_stages.represent("topics.outliers.strategy=none", "topics.nr_topics=none")
    mapping = _bertopic_mapping(topics)
    # The sample exercises the defect: BERTopic renamed clusters (sorted by size).
    assert any(mapping[c] != c for c in mapping if c != -1)
    clustered = labels != -1
    expected_topics = np.array([mapping[int(c)] for c in labels])
    assert np.array_equal(topics.assignments, expected_topics)
    probabilities = topics.probabilities
    assert probabilities.dtype == np.float32
    assert not np.isnan(probabilities).any()
    assert np.array_equal(probabilities[clustered], hdbscan_probabilities[clustered])
    assert np.all(probabilities[~clustered] == 0.0)
    assert ((probabilities >= 0) & (probabilities <= 1)).all()
    assert (probabilities[clustered] > 0).mean() > 0.9


def test_probabilities_survive_topic_reduction(sample_stages) -> None:
    labels = sample_stages.clusters.labels
    n_clusters = len(set(labels.tolist()) - {-1})
    topics = sample_stages.represent("topics.outliers.strategy=none", "topics.nr_topics=2")
    assert len(set(topics.assignments.tolist()) - {-1}) == 2 < n_clusters
    mapping = _bertopic_mapping(topics)
    assert len({mapping[c] for c in mapping if c != -1}) == 2  # clusters were merged
    clustered = labels != -1
    assert np.array_equal(
        topics.assignments[clustered], [mapping[int(c)] for c in labels[clustered]]
    )
    # A document of a merged topic keeps its membership in its own (now merged) cluster.
    assert np.array_equal(
        topics.probabilities[clustered], sample_stages.clusters.probabilities[clustered]
    )
    assert np.all(topics.probabilities[~clustered] == 0.0)


def test_reassigned_outliers_have_no_hdbscan_probability(sample_stages) -> None:
    labels = sample_stages.clusters.labels
    topics = sample_stages.represent("topics.outliers.strategy=embeddings")
    reassigned = (labels == -1) & (topics.assignments != -1)
    assert reassigned.sum() >= 5
    assert np.isnan(topics.probabilities[reassigned]).all()
    kept = labels != -1
    assert np.array_equal(topics.probabilities[kept], sample_stages.clusters.probabilities[kept])


def test_translation_moved_documents_get_nan() -> None:
    # HDBSCAN: docs 0-2 in cluster 0, 3-4 in cluster 1, 5 an outlier. Translation alignment
    # moved doc 2 to cluster 1 and doc 5 into cluster 0; BERTopic swapped the ids by size.
    hdbscan_labels = np.array([0, 0, 0, 1, 1, -1])
    given = np.array([0, 0, 1, 1, 1, 0])
    probabilities = np.array([0.9, 0.8, 0.7, 1.0, 0.6, 0.0], dtype=np.float32)
    fitted = np.array([1, 1, 0, 0, 0, 1])
    mapping = cluster_topics(given, fitted)
    assert mapping == {0: 1, 1: 0}
    result = document_probabilities(hdbscan_labels, probabilities, mapping, fitted)
    assert result[:2].tolist() == pytest.approx([0.9, 0.8])
    assert np.isnan(result[2]) and np.isnan(result[5])
    assert result[3:5].tolist() == pytest.approx([1.0, 0.6])
    # Left an outlier: HDBSCAN's 0.
    assert document_probabilities(hdbscan_labels, probabilities, mapping, [1, 1, 0, 0, 0, -1])[
        5
    ] == pytest.approx(0.0)


def test_cluster_split_between_topics_is_refused() -> None:
    with pytest.raises(ValueError, match="more than one"):
        cluster_topics(np.array([0, 0, 1]), np.array([0, 1, 1]))


def test_written_probabilities_are_not_all_zero(sample_run) -> None:
    documents = pd.read_parquet(sample_run.run_dir / "documents.parquet")
    values = documents["probability"].to_numpy(dtype=np.float64)
    known = values[~np.isnan(values)]
    assert ((known >= 0) & (known <= 1)).all()
    clustered = documents["topic"].to_numpy() != -1
    # Before the fix all 54 were 0.0; HDBSCAN gives most clustered documents a high membership.
    assert (values[clustered & ~np.isnan(values)] > 0.5).sum() >= len(documents) // 3
