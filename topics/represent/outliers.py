"""Outlier reduction (``topics.outliers``): BERTopic's ``reduce_outliers`` on our own data.

Each strategy is given what it needs from this run rather than what BERTopic would compute
itself: ``embeddings`` our document vectors, ``probabilities`` HDBSCAN's soft clustering in
BERTopic's topic ids, ``c-tf-idf`` and ``distributions`` our vectorizer (whose tokenizer splits
the space-joined tokens, see :class:`topics.represent.tokens.PretokenizedVectorizer`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from topics.config import TopicsSection
from topics.engine import LOCAL, Engine
from topics.scratch import take_rows
from topics.types import Clusters, Corpus

#: Outliers outside the fit reduced at once (their similarities to every topic are held).
OUTLIER_BLOCK = 20_000


def reduce_outliers(
    model: Any,
    joined: list[str],
    assignments: np.ndarray,
    vectors: np.ndarray,
    section: TopicsSection,
    corpus: Corpus,
    membership: np.ndarray | None = None,
    top_n_words: int = 10,
    fitted_rows: np.ndarray | None = None,
    engine: Engine = LOCAL,
) -> np.ndarray:
    """Reassign ``-1`` documents with the configured strategy and refresh the topic words.

    Parameters
    ----------
    model:
        The fitted BERTopic model.
    joined:
        Space-joined tokens of the documents the model was fitted on (``fitted_rows``).
    assignments:
        Topic per document of ``corpus`` after fitting (voted-in documents included).
    vectors:
        Document embeddings of ``corpus`` (``embeddings`` strategy).
    section:
        The ``topics`` config section (``outliers.strategy``, ``outliers.threshold``).
    corpus:
        The documents (translation pairs are aligned again afterwards).
    membership:
        ``(documents, topics)`` soft-clustering matrix (``probabilities`` strategy), from
        :func:`topics.represent.membership.topic_membership`.
    top_n_words:
        Words BERTopic keeps per topic when it recomputes them.
    fitted_rows:
        Rows of ``corpus`` the model was fitted on (``None``: all). Outliers outside them are
        reassigned by the same strategy (the ``c-tf-idf`` and ``distributions`` strategies
        tokenize them on ``engine``), but the topic words are refreshed from the fitted rows
        only.
    engine:
        Where those outliers are tokenized.

    Returns
    -------
    numpy.ndarray
        The new topic per document. Outliers are reassigned one by one, so a translation pair
        that was an outlier on both sides is aligned again (a paper and its translation share a
        topic).
    """
    strategy = section.outliers.strategy
    assignments = np.asarray(assignments, dtype=np.int64).copy()
    fitted = np.arange(len(assignments)) if fitted_rows is None else np.asarray(fitted_rows)
    outside = np.ones(len(assignments), dtype=bool)
    outside[fitted] = False
    others = np.flatnonzero(outside & (assignments == -1))
    # The fitted documents first (with the membership matrix when the strategy needs one),
    # then the other outliers block by block: each outlier's new topic is its own, and a
    # million-document run must not hold (outliers × topics) similarities at once.
    blocks = [fitted] + [
        others[start : start + OUTLIER_BLOCK] for start in range(0, others.size, OUTLIER_BLOCK)
    ]
    for number, rows in enumerate(blocks):
        if not (assignments[rows] == -1).any():
            continue  # BERTopic's strategies fail on an empty outlier list (a core without any)
        documents = (
            list(joined)
            if number == 0
            else _outlier_documents(corpus, rows, strategy, section, engine)
        )
        extra = _strategy_inputs(strategy, rows, vectors, membership)
        new = _reduce_block(
            model,
            documents,
            assignments[rows].tolist(),
            strategy,
            section.outliers.threshold,
            extra,
        )
        assignments[rows] = np.asarray(new, dtype=np.int64)
    if corpus.duplicate_of is not None:
        from topics.crosslingual import align_translation_labels

        assignments = align_translation_labels(assignments, corpus.ids, corpus.duplicate_of)
    # update_topics swaps in a fresh CountVectorizer unless given ours, which would drop the
    # fixed vocabulary and its document-frequency floor (one-off tokens would top topics).
    model.update_topics(
        list(joined),
        topics=assignments[fitted].tolist(),
        top_n_words=top_n_words,
        vectorizer_model=model.vectorizer_model,
        ctfidf_model=model.ctfidf_model,
        representation_model=model.representation_model,
    )
    return np.asarray(assignments, dtype=np.int64)


def _strategy_inputs(
    strategy: str, rows: np.ndarray, vectors: np.ndarray, membership: np.ndarray | None
) -> dict[str, Any]:
    """What the strategy needs besides the documents, for ``rows``."""
    if strategy == "embeddings":
        return {"embeddings": take_rows(vectors, rows)}
    if strategy == "probabilities":
        if membership is None:
            raise ValueError("the 'probabilities' outlier strategy needs a membership matrix")
        return {"probabilities": membership[rows]}
    return {}


def _reduce_block(
    model: Any,
    documents: list[str],
    topics: list[int],
    strategy: str,
    threshold: float,
    extra: dict[str, Any],
) -> list[int]:
    """BERTopic's ``reduce_outliers`` for one block, also when its fit had no outlier topic.

    BERTopic refuses ("No outliers to reduce.") when the documents it was fitted on had no
    outlier, which happens when a fitted core has none but voted-in documents do. Its
    strategies work the same without an outlier topic (topic ``t`` is then row ``t`` of
    ``c_tf_idf_`` and ``topic_embeddings_``), so for that case they are reproduced here.
    ``probabilities`` never gets here: it needs the fit on every document (a core is refused
    in :func:`topics.pipeline.check_fit_sample`), and a fit without outliers has none to reduce.
    """
    if getattr(model, "_outliers", 1):
        return model.reduce_outliers(
            documents, topics, strategy=strategy, threshold=threshold, **extra
        )
    from sklearn.metrics.pairwise import cosine_similarity

    outliers = [index for index, topic in enumerate(topics) if topic == -1]
    if strategy == "distributions":
        scores, _ = model.approximate_distribution(
            [documents[i] for i in outliers], min_similarity=threshold
        )
    elif strategy == "c-tf-idf":
        counts = model.vectorizer_model.transform([documents[i] for i in outliers])
        scores = cosine_similarity(model.ctfidf_model.transform(counts), model.c_tf_idf_)
    else:  # embeddings
        vectors = np.asarray(extra["embeddings"])[outliers]
        scores = cosine_similarity(vectors, np.asarray(model.topic_embeddings_))
    scores = np.asarray(scores, dtype=np.float64)
    if strategy != "distributions":  # approximate_distribution applied the threshold itself
        scores[scores < threshold] = 0.0
    new = list(topics)
    for index, row in zip(outliers, scores, strict=True):
        new[index] = int(np.argmax(row)) if row.sum() > 0 else -1
    return new


def _outlier_documents(
    corpus: Corpus, rows: np.ndarray, strategy: str, section: TopicsSection, engine: Engine
) -> list[str]:
    """Tokens of documents outside the fit, for the strategies that read words."""
    if strategy not in ("c-tf-idf", "distributions"):
        return [""] * rows.size  # the embeddings strategy reads vectors only
    from topics.represent.tokens import tokenize_texts

    return tokenize_texts([corpus.texts[i] for i in rows.tolist()], section.extra_stopwords, engine)


def outlier_membership(
    clusters: Clusters, cluster_topic: dict[int, int], n_topics: int
) -> np.ndarray:
    """The ``probabilities`` strategy's matrix: HDBSCAN's soft clustering per BERTopic topic."""
    from topics.represent.membership import topic_membership

    if clusters.clusterer is None:
        raise ValueError("the 'probabilities' outlier strategy needs the fitted HDBSCAN model")
    return topic_membership(clusters.clusterer, cluster_topic, n_topics)
