"""Every ``topics.outliers.strategy`` on the sample: outliers reduced, our vocabulary kept."""

from __future__ import annotations

import numpy as np
import pytest

from topics.evaluate import evaluate
from topics.represent.tokens import resolve_min_df
from topics.text.stopwords import stopwords


def _check_topics(sample_stages, topics) -> None:  # noqa: ANN001
    """Valid assignments, clustered documents untouched, topic words from our vocabulary."""
    labels = sample_stages.clusters.labels
    mapping = {
        int(k): int(v)
        for k, v in topics.model.topic_mapper_.get_mappings(original_topics=True).items()
    }
    real = sorted(set(mapping.values()) - {-1})
    assert real == list(range(len(real)))
    assert set(topics.assignments.tolist()) <= {-1, *real}
    clustered = labels != -1
    assert np.array_equal(
        topics.assignments[clustered], [mapping[int(c)] for c in labels[clustered]]
    )
    vocabulary = set(topics.vocabulary)
    for topic in real:
        words = [w for w, _ in topics.words[topic]]
        assert words and set(words) <= vocabulary
    metrics = evaluate(
        topics.document_term,
        topics.vocabulary,
        {t: [w for w, _ in ws] for t, ws in topics.words.items()},
        topics.assignments,
        None,
        stopwords(),
        resolve_min_df(sample_stages.config().topics, len(sample_stages.corpus)),
    )
    # Reassigning outliers must refit c-TF-IDF on our vectorizer, not BERTopic's default one.
    assert metrics["hygiene"] == 0


@pytest.mark.parametrize("strategy", ["none", "embeddings", "c-tf-idf", "distributions"])
def test_outlier_strategy(sample_stages, strategy: str) -> None:
    before = int((sample_stages.clusters.labels == -1).sum())
    topics = sample_stages.represent(f"topics.outliers.strategy={strategy}")
    _check_topics(sample_stages, topics)
    after = int((topics.assignments == -1).sum())
    if strategy == "none":
        assert after == before
    else:
        assert after < before
    if strategy == "embeddings":
        assert after == 0  # threshold 0: every outlier has a closest topic centre


def test_probabilities_strategy_uses_hdbscan_soft_clustering(sample_stages) -> None:
    import hdbscan

    clusters = sample_stages.clusters
    topics = sample_stages.represent("topics.outliers.strategy=probabilities")
    _check_topics(sample_stages, topics)
    assert not (topics.assignments == -1).any()  # threshold 0 reassigns every outlier
    # Independent check: HDBSCAN's membership vectors, columns renamed with BERTopic's mapping.
    mapping = topics.model.topic_mapper_.get_mappings(original_topics=True)
    soft = hdbscan.all_points_membership_vectors(clusters.clusterer)
    n_topics = len(set(mapping.values()) - {-1})
    per_topic = np.zeros((soft.shape[0], n_topics))
    for cluster, topic in mapping.items():
        if cluster != -1:
            per_topic[:, topic] += soft[:, cluster]
    outliers = clusters.labels == -1
    assert np.array_equal(topics.assignments[outliers], per_topic[outliers].argmax(axis=1))


def test_probabilities_strategy_threshold(sample_stages) -> None:
    clusters = sample_stages.clusters
    loose = sample_stages.represent("topics.outliers.strategy=probabilities")
    strict = sample_stages.represent(
        "topics.outliers.strategy=probabilities", "topics.outliers.threshold=0.3"
    )
    outliers = clusters.labels == -1
    kept_out = strict.assignments[outliers] == -1
    assert 0 < kept_out.sum() < outliers.sum()
    moved = ~kept_out
    assert np.array_equal(strict.assignments[outliers][moved], loose.assignments[outliers][moved])


def test_distributions_sees_our_tokens(sample_stages) -> None:
    topics = sample_stages.represent("topics.outliers.strategy=distributions")
    model = topics.model
    from topics.represent.tokens import tokenize_corpus

    joined = tokenize_corpus(sample_stages.corpus.texts, (), sample_stages.folder / "cache")
    # Hyphenated and dotted tokens are single tokens for us; sklearn's token_pattern cuts them.
    compound = next(doc for doc in joined if any("-" in token for token in doc.split()))
    chinese = next(doc for doc in joined if any("\u4e00" <= ch <= "\u9fff" for ch in doc))
    for document in (compound, chinese):
        tokens = document.split()
        assert model.vectorizer_model.build_tokenizer()(document) == tokens
        _, per_token = model.approximate_distribution([document], calculate_tokens=True)
        assert per_token[0].shape[0] == len(
            tokens
        )  # one row per token approximate_distribution saw


@pytest.mark.parametrize("strategy", ["c-tf-idf", "embeddings", "distributions"])
def test_outliers_outside_a_core_without_any_are_still_reduced(
    sample_stages, strategy: str
) -> None:
    """A fitted core may have no outlier while voted-in documents do: BERTopic then refuses
    every strategy ("No outliers to reduce."), so the strategies run without it."""
    from dataclasses import replace

    from topics.represent import represent

    labels = sample_stages.clusters.labels
    core = np.flatnonzero(labels != -1)  # the fitted documents: not one outlier among them
    config = sample_stages.config(f"topics.outliers.strategy={strategy}")
    topics = represent(
        sample_stages.corpus,
        sample_stages.embeddings,
        replace(sample_stages.reduced, coords=np.asarray(sample_stages.reduced.coords)[core]),
        sample_stages.clusters,
        config.topics,
        None,
        sample_stages.folder / "cache",
        seed=config.run.seed,
        fitted_rows=core,
    )

    outliers = labels == -1
    assert outliers.sum() >= 5 and (topics.assignments[outliers] != -1).all()
    assert topics.document_term.shape[0] == core.size  # words from the core only
