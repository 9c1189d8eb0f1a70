"""Assemble BERTopic around our own embeddings, reduction and clusters.

BERTopic is given stand-ins that return the already-computed UMAP coordinates and HDBSCAN labels
(:mod:`topics.represent.standins`), our tokenized documents and vocabulary
(:mod:`topics.represent.tokens`), and does what it is good at: c-TF-IDF topic words,
representation models, outlier reduction and topic reduction.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from topics.common import quiet_logger
from topics.config import TopicsSection
from topics.engine import LOCAL, Engine
from topics.represent.labels import GroupLabeler
from topics.represent.membership import (
    cluster_topics,
    document_probabilities,
    hdbscan_labels_of,
    topics_of_clusters,
)
from topics.represent.outliers import outlier_membership, reduce_outliers
from topics.represent.phrases import phrase_matrix
from topics.represent.standins import PrecomputedClusters, PrecomputedReduction
from topics.represent.table import representative_ids, topic_table, topic_vectors, topic_words
from topics.represent.tokens import (
    build_vocabulary,
    count_terms,
    make_vectorizer,
    resolve_min_df,
    split_on_spaces,
    token_frequencies,
    tokenize_corpus,
)
from topics.scratch import take_rows
from topics.types import Clusters, Corpus, Embeddings, Reduced, Topics

__all__ = [
    "DIVERSITY_WORDS",
    "PrecomputedClusters",
    "PrecomputedReduction",
    "build_vocabulary",
    "quiet_logger",
    "represent",
    "resolve_min_df",
    "split_on_spaces",
    "tokenize_corpus",
]

# Topic diversity is defined over each topic's top 25 words, so that many are always computed.
DIVERSITY_WORDS = 25


@contextmanager
def python_strings() -> Iterator[None]:
    """Let pandas keep strings as Python objects during a block (BERTopic's data frames).

    pandas 3 stores strings in Arrow by default, so BERTopic's frames copied every tokenized
    document into Arrow and back to Python strings (joining documents per topic, counting
    terms). Measured on the 50k fitted documents of a 100k run: ``fit_transform`` peaked at
    +369 MB and took 3.1 s with Arrow strings, +156 MB and 2.2 s with object columns. pandas
    2 already does this; where the option is gone (pandas 4), the block runs as it is.
    """
    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the option is deprecated in pandas 3
        try:
            previous = pd.get_option("future.infer_string")
        except (KeyError, AttributeError):  # pandas' OptionError is both
            previous = None
        if previous is not None:
            pd.set_option("future.infer_string", False)
    try:
        yield
    finally:
        if previous is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pd.set_option("future.infer_string", previous)


def _bertopic_embedder(embedder: Any) -> Any:
    """Wrap our embedder for BERTopic's word embeddings (KeyBERTInspired, MMR)."""
    from bertopic.backend import BaseEmbedder

    class _Adapter(BaseEmbedder):
        def embed(self, documents: list[str], verbose: bool = False) -> np.ndarray:
            ids = [str(i) for i in range(len(documents))]
            return embedder.embed(list(documents), ids)

    return _Adapter()


def represent(
    corpus: Corpus,
    embeddings: Embeddings,
    reduced: Reduced,
    clusters: Clusters,
    section: TopicsSection,
    word_embedder: Any = None,
    cache_dir: Path | None = None,
    *,
    seed: int,
    engine: Engine = LOCAL,
    fitted_rows: np.ndarray | None = None,
) -> Topics:
    """Fit BERTopic's representation on precomputed embeddings, reduction and clusters.

    Parameters
    ----------
    corpus, embeddings, clusters:
        Outputs of the earlier stages, rows aligned (every document).
    reduced:
        The UMAP coordinates of the ``fitted_rows``.
    section:
        The ``topics`` config section.
    word_embedder:
        Embedder used by KeyBERTInspired/MMR to embed candidate words (``None`` for c-TF-IDF).
    cache_dir:
        Where tokenized documents are cached (``None``: memory only).
    seed:
        ``run.seed``, for representation models that sample (KeyBERTInspired).
    engine:
        Where tokenizing and term counting run (partitions; :mod:`topics.engine`).
    fitted_rows:
        The documents UMAP and HDBSCAN were fitted on (the core of a large corpus; ``None``:
        all). Only they are tokenized and counted: BERTopic's c-TF-IDF, the labels and the
        term counts behind the metrics come from them, so represent's time and memory stop
        growing with the corpus. Every document still gets a topic: the others keep the topic
        of the cluster they were voted into, and their outliers are reduced by the same
        strategy against the fitted topics.

    Returns
    -------
    Topics
        Topic table, words, final assignments, probabilities (their meaning is documented in
        :mod:`topics.represent.membership`) and the fitted BERTopic model.
    """
    fitted = np.arange(len(corpus)) if fitted_rows is None else np.asarray(fitted_rows)
    sample = corpus if fitted_rows is None else corpus.subset(fitted)
    joined = tokenize_corpus(
        sample.texts, section.extra_stopwords, cache_dir, sample.text_hashes, engine
    )
    frequencies = token_frequencies(joined, engine)
    vocabulary = build_vocabulary(joined, section, engine, frequencies)
    vectorizer = make_vectorizer(vocabulary)
    document_term = count_terms(joined, vocabulary, engine)
    vectors = np.asarray(embeddings.vectors, dtype=np.float32)
    top_n_words = max(section.top_n_words, DIVERSITY_WORDS)

    model, assignments, cluster_topic = _fit_topics(
        joined,
        vectors,
        reduced,
        clusters,
        vectorizer,
        vocabulary,
        section,
        word_embedder,
        top_n_words,
        seed,
        corpus,
        fitted if fitted_rows is not None else None,
        engine,
    )
    probabilities = document_probabilities(
        hdbscan_labels_of(clusters), clusters.probabilities, cluster_topic, assignments
    )
    words = topic_words(model, assignments, top_n_words)
    centres = topic_vectors(vectors, assignments)
    min_df = max(2, resolve_min_df(section, len(joined)))
    frequent = frozenset(token for token, count in frequencies.items() if count >= min_df)
    del frequencies  # a million abstracts have millions of distinct tokens
    labeler, found = _labels(
        sample,
        joined,
        frequent,
        min_df,
        document_term,
        vocabulary,
        section,
        assignments,
        words,
        engine,
        fitted if fitted_rows is not None else None,
    )
    table = topic_table(
        corpus,
        assignments,
        words,
        found.words,
        section.label_words,
        section.top_n_words,
        found.labels,
    )
    return Topics(
        table=table,
        words=words,
        assignments=assignments,
        probabilities=probabilities,
        model=model,
        document_term=document_term,
        vocabulary=vocabulary,
        topic_vectors=centres,
        representative_ids=representative_ids(corpus, vectors, assignments, centres),
        term_rows=None if fitted_rows is None else fitted,
        language_words=found.words,
        generic_label_share=found.generic_share(),
        labeler=labeler,
    )


def _fit_topics(
    joined: list[str],
    vectors: np.ndarray,
    reduced: Reduced,
    clusters: Clusters,
    vectorizer: Any,
    vocabulary: list[str],
    section: TopicsSection,
    word_embedder: Any,
    top_n_words: int,
    seed: int,
    corpus: Corpus,
    fitted_rows: np.ndarray | None,
    engine: Engine,
) -> tuple[Any, np.ndarray, dict[int, int]]:
    """BERTopic fitted on the fitted documents' tokens and clusters: ``(model or None, each
    document's topic after outlier reduction, cluster → topic)``."""
    fitted = np.arange(len(corpus)) if fitted_rows is None else fitted_rows
    labels = np.asarray(clusters.labels, dtype=np.int64)
    model = None
    assignments = labels.copy()
    cluster_topic = {c: c for c in np.unique(labels[labels != -1]).tolist()}
    # BERTopic's c-TF-IDF needs two terms (one makes scipy's diags fail on a scalar): a corpus
    # whose abstracts share one word (formulas, numbers and a URL) keeps its topics, wordless.
    if cluster_topic and len(vocabulary) >= 2:
        with quiet_logger("BERTopic"), python_strings():
            probabilities_fitted = np.asarray(clusters.probabilities)[fitted]
            model = _build_model(
                reduced,
                labels[fitted],
                probabilities_fitted,
                vectorizer,
                section,
                word_embedder,
                top_n_words,
                seed,
            )
            topics_fitted, _ = model.fit_transform(joined, embeddings=take_rows(vectors, fitted))
            # BERTopic renumbers clusters by size (and again when merging): remember which
            # cluster became which topic before outlier reduction moves documents.
            cluster_topic = cluster_topics(labels[fitted], np.asarray(topics_fitted))
            assignments = topics_of_clusters(labels, cluster_topic)
            if section.outliers.strategy != "none" and (assignments == -1).any():
                membership = None
                if section.outliers.strategy == "probabilities":
                    n_topics = int(assignments.max()) + 1
                    membership = outlier_membership(clusters, cluster_topic, n_topics)
                assignments = reduce_outliers(
                    model,
                    joined,
                    assignments,
                    vectors,
                    section,
                    corpus,
                    membership=membership,
                    top_n_words=top_n_words,
                    fitted_rows=fitted_rows,
                    engine=engine,
                )

    return model, assignments, cluster_topic


def _labels(
    sample: Corpus,
    joined: list[str],
    frequent: frozenset[str],
    min_df: int,
    document_term: Any,
    vocabulary: list[str],
    section: TopicsSection,
    assignments: np.ndarray,
    words: dict[int, list[tuple[str, float]]],
    engine: Engine,
    fitted_rows: np.ndarray | None,
) -> tuple[GroupLabeler, Any]:
    """The labeler over the fitted documents' words and phrases, and the topics' labels."""
    presence, phrases = phrase_matrix(sample.texts, joined, min_df, engine, frequent)
    labeler = GroupLabeler(
        document_term,
        vocabulary,
        presence,
        phrases,
        np.asarray(sample.langs),
        section.label_language,
        section.label_words,
        section.top_n_words,
        rows=fitted_rows,
    )
    return labeler, labeler.label(assignments, words)


def _build_model(
    reduced: Reduced,
    labels: np.ndarray,
    probabilities: np.ndarray,
    vectorizer: Any,
    section: TopicsSection,
    word_embedder: Any,
    top_n_words: int,
    seed: int,
) -> Any:
    """An unfitted BERTopic around our stand-ins (the fitted documents' coordinates, cluster
    labels and membership), vectorizer and representation model."""
    from bertopic import BERTopic
    from bertopic.vectorizers import ClassTfidfTransformer

    from topics.registry import representations

    labels = np.asarray(labels)
    n_clusters = len(set(labels.tolist()) - {-1})
    nr_topics = None if section.nr_topics == "none" else section.nr_topics
    if isinstance(nr_topics, int) and (labels == -1).any():
        # BERTopic counts the outlier topic among nr_topics; ours counts real topics only.
        nr_topics += 1
    return BERTopic(
        embedding_model=_bertopic_embedder(word_embedder) if word_embedder else None,
        umap_model=PrecomputedReduction(np.asarray(reduced.coords)),
        hdbscan_model=PrecomputedClusters(labels, np.asarray(probabilities)),
        vectorizer_model=vectorizer,
        ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=True),
        representation_model=representations.get(section.representation)(section, seed=seed),
        top_n_words=top_n_words,
        nr_topics=nr_topics if n_clusters > 1 else None,
        calculate_probabilities=False,
        # "english" makes BERTopic strip every non-ASCII character before c-TF-IDF,
        # deleting all Chinese tokens; our text is already tokenized, so keep it as is.
        language="multilingual",
        verbose=False,
    )
