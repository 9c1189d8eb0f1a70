"""Assemble BERTopic around our own embeddings, reduction and clusters.

BERTopic is given stand-ins that return the already-computed UMAP coordinates and HDBSCAN labels,
so it never re-runs either (re-tuning labels reuses the cached reduction) and does what it is good
at: c-TF-IDF topic words, representation models, outlier reduction and topic reduction.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from topics.config import TopicsSection
from topics.represent.bilingual import language_words
from topics.types import Clusters, Corpus, Embeddings, Reduced, Topics

logger = logging.getLogger(__name__)

# Topic diversity is defined over each topic's top 25 words, so that many are always computed.
DIVERSITY_WORDS = 25


def split_on_spaces(text: str) -> list[str]:
    """Analyzer for text that is already tokenized and space-joined (picklable, unlike a lambda)."""
    return text.split()


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


_TOKENIZED: dict[str, list[str]] = {}
TOKENIZER_VERSION = "mixed-1"  # bump when the tokenizer or stopword lists change output


def tokenize_corpus(
    texts: Sequence[str],
    extra_stopwords: Sequence[str] = (),
    cache_dir: Path | None = None,
    hashes: Sequence[str] | None = None,
) -> list[str]:
    """Tokenize every document once (BERTopic #2507) and join its tokens with spaces.

    The result is kept in memory (sweep trials and stability refits reuse it) and, with a cache
    folder, on disk: jieba is the slowest part of re-tuning a large Chinese corpus.
    """
    from topics.cache import JsonCache, digest, text_hash
    from topics.text.tokenizer import MixedTokenizer

    if hashes is None:
        hashes = [text_hash(t) for t in texts]
    key = digest(TOKENIZER_VERSION, list(hashes), sorted(extra_stopwords))
    if key in _TOKENIZED:
        return _TOKENIZED[key]
    store = JsonCache(cache_dir, "tokens")
    joined = store.get(key)
    if not isinstance(joined, list) or len(joined) != len(texts):
        tokenizer = MixedTokenizer(extra_stopwords)
        joined = [" ".join(tokenizer(text)) for text in texts]
        store.put(key, joined)
    _TOKENIZED.clear()
    _TOKENIZED[key] = joined
    return joined


def resolve_min_df(section: TopicsSection, n_documents: int) -> int:
    """The document-frequency floor used for topic words (``auto`` = n/200 within 2..20).

    Measured on 2k-abstract subsets (USE, default preset): raising the floor from 2 to 10 lifts
    NPMI from -.29 to -.05 (CSL) and -.16 to +.03 (arXiv) while diversity falls from .96 to .71
    and .89 to .75; topics themselves do not change.
    """
    if section.min_df == "auto":
        return int(min(20, max(2, round(n_documents / 200))))
    return int(section.min_df)


def build_vocabulary(joined: Sequence[str], section: TopicsSection) -> list[str]:
    """Tokens that pass the document-frequency floor and ceiling over individual documents.

    BERTopic applies ``min_df`` to per-topic concatenations, where it means "in N topics"; the
    floor that keeps one-off tokens from topping a topic must count documents, so it is applied
    here and BERTopic gets a fixed vocabulary.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    n_documents = len(joined)
    min_df = min(resolve_min_df(section, n_documents), max(1, n_documents // 2))
    # A ceiling below one document's worth is meaningless on tiny corpora.
    max_df = section.max_df if n_documents * section.max_df >= max(2, min_df) else 1.0
    for floor in (min_df, 1):
        try:
            counter = CountVectorizer(
                analyzer=split_on_spaces, lowercase=False, min_df=floor, max_df=max_df
            )
            counter.fit(joined)
            return sorted(counter.vocabulary_)
        except ValueError:  # "After pruning, no terms remain"
            max_df = 1.0
    return []


def _topic_vectors(vectors: np.ndarray, assignments: np.ndarray) -> dict[int, np.ndarray]:
    """Normalised mean embedding of each non-outlier topic."""
    result = {}
    for topic in sorted(set(assignments.tolist()) - {-1}):
        mean = np.asarray(vectors[assignments == topic].mean(axis=0), dtype=np.float32)
        norm = np.linalg.norm(mean)
        result[topic] = mean / norm if norm > 0 else mean
    return result


def _representative_ids(
    corpus: Corpus, vectors: np.ndarray, assignments: np.ndarray, centres: dict[int, np.ndarray]
) -> dict[int, list[str]]:
    """Up to five documents per topic closest (cosine) to the topic's mean embedding."""
    norms = np.linalg.norm(vectors, axis=1)
    norms[norms == 0] = 1.0
    result: dict[int, list[str]] = {}
    for topic, centre in centres.items():
        rows = np.flatnonzero(assignments == topic)
        scores = (vectors[rows] @ centre) / norms[rows]
        best = rows[np.argsort(-scores, kind="stable")[:5]]
        result[topic] = [corpus.ids[i] for i in best]
    return result


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
) -> Topics:
    """Fit BERTopic's representation on precomputed embeddings, reduction and clusters.

    Parameters
    ----------
    corpus, embeddings, reduced, clusters:
        Outputs of the earlier stages, rows aligned.
    section:
        The ``topics`` config section.
    word_embedder:
        Embedder used by KeyBERTInspired/MMR to embed candidate words (``None`` for c-TF-IDF).
    cache_dir:
        Where tokenized documents are cached (``None``: memory only).

    Returns
    -------
    Topics
        Topic table, words, final assignments and the fitted BERTopic model.
    """
    from bertopic import BERTopic
    from bertopic.vectorizers import ClassTfidfTransformer
    from sklearn.feature_extraction.text import CountVectorizer

    from topics.registry import representations

    joined = tokenize_corpus(corpus.texts, section.extra_stopwords, cache_dir, corpus.text_hashes)
    vocabulary = build_vocabulary(joined, section)
    vectorizer = CountVectorizer(
        analyzer=split_on_spaces, lowercase=False, vocabulary=vocabulary or ["_"]
    )
    document_term = sparse.csr_matrix(vectorizer.transform(joined))
    vectors = np.asarray(embeddings.vectors, dtype=np.float32)
    labels = np.asarray(clusters.labels)

    model = None
    assignments = labels.copy()
    n_clusters = len(set(labels.tolist()) - {-1})
    if n_clusters >= 1 and vocabulary:
        representation = representations.get(section.representation)(section)
        nr_topics = None if section.nr_topics == "none" else section.nr_topics
        if isinstance(nr_topics, int) and (labels == -1).any():
            # BERTopic counts the outlier topic among nr_topics; ours counts real topics only.
            nr_topics += 1
        model = BERTopic(
            embedding_model=_bertopic_embedder(word_embedder) if word_embedder else None,
            umap_model=PrecomputedReduction(np.asarray(reduced.coords)),
            hdbscan_model=PrecomputedClusters(labels, np.asarray(clusters.probabilities)),
            vectorizer_model=vectorizer,
            ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=True),
            representation_model=representation,
            top_n_words=max(section.top_n_words, DIVERSITY_WORDS),
            nr_topics=nr_topics if n_clusters > 1 else None,
            calculate_probabilities=False,
            # "english" makes BERTopic strip every non-ASCII character before c-TF-IDF,
            # deleting all Chinese tokens; our text is already tokenized, so keep it as is.
            language="multilingual",
            verbose=False,
        )
        # BERTopic logs expected steps (custom assignments after outlier reduction) as warnings.
        logging.getLogger("BERTopic").setLevel(logging.ERROR)
        fitted, _ = model.fit_transform(joined, embeddings=vectors)
        assignments = np.asarray(fitted, dtype=np.int64)
        if section.outliers.strategy != "none" and (assignments == -1).any():
            assignments = _reduce_outliers(model, joined, assignments, vectors, section, corpus)

    probabilities = np.where(
        assignments == labels, np.asarray(clusters.probabilities, dtype=np.float32), 0.0
    ).astype(np.float32)
    words = _topic_words(model, assignments, max(section.top_n_words, DIVERSITY_WORDS))
    centres = _topic_vectors(vectors, assignments)
    per_language = language_words(
        document_term, vocabulary, assignments, corpus.langs, section.top_n_words
    )
    table = _topic_table(
        corpus, assignments, words, per_language, section.label_words, section.top_n_words
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
        representative_ids=_representative_ids(corpus, vectors, assignments, centres),
        language_words=per_language,
    )


def _reduce_outliers(
    model: Any,
    joined: list[str],
    assignments: np.ndarray,
    vectors: np.ndarray,
    section: TopicsSection,
    corpus: Corpus,
) -> np.ndarray:
    """BERTopic's reduce_outliers, then refresh the topic words for the new assignments.

    Outliers are reassigned one by one, so a translation pair that was an outlier on both sides
    is aligned again afterwards (a paper and its translation share a topic).
    """
    strategy = section.outliers.strategy
    new = model.reduce_outliers(
        joined,
        assignments.tolist(),
        strategy=strategy,
        threshold=section.outliers.threshold,
        embeddings=vectors if strategy == "embeddings" else None,
    )
    if corpus.duplicate_of is not None:
        from topics.crosslingual import align_translation_labels

        new = align_translation_labels(np.asarray(new), corpus.ids, corpus.duplicate_of).tolist()
    # update_topics swaps in a fresh CountVectorizer unless given ours, which would drop the
    # fixed vocabulary and its document-frequency floor (one-off tokens would top topics).
    model.update_topics(
        joined,
        topics=new,
        top_n_words=max(section.top_n_words, DIVERSITY_WORDS),
        vectorizer_model=model.vectorizer_model,
        ctfidf_model=model.ctfidf_model,
        representation_model=model.representation_model,
    )
    return np.asarray(model.topics_, dtype=np.int64)


def _topic_words(
    model: Any, assignments: np.ndarray, top_n: int
) -> dict[int, list[tuple[str, float]]]:
    words: dict[int, list[tuple[str, float]]] = {}
    present = sorted(set(assignments.tolist()))
    for topic in present:
        pairs = model.get_topic(topic) if model is not None else []
        pairs = pairs or []
        words[topic] = [(str(w), float(s)) for w, s in pairs[:top_n] if str(w) and float(s) > 0]
    return words


def _label(words: list[tuple[str, float]], n: int) -> str:
    return " · ".join(word for word, _ in words[:n])


def _topic_table(
    corpus: Corpus,
    assignments: np.ndarray,
    words: dict[int, list[tuple[str, float]]],
    per_language: dict[str, dict[int, list[tuple[str, float]]]],
    label_words: int,
    top_n: int,
) -> pd.DataFrame:
    langs = np.asarray(corpus.langs)
    rows = []
    for topic in sorted(set(assignments.tolist())):
        members = assignments == topic
        size = int(members.sum())
        row = {
            "topic": topic,
            "size": size,
            "label": "Outliers" if topic == -1 else _label(words.get(topic, []), label_words),
            "words": " | ".join(w for w, _ in words.get(topic, [])[:top_n]),
            "share_zh": round(float((langs[members] == "zh").mean()), 4),
            "share_en": round(float((langs[members] == "en").mean()), 4),
        }
        for lang in ("en", "zh"):
            lang_words = per_language.get(lang, {}).get(topic, []) if topic != -1 else []
            row[f"label_{lang}"] = _label(lang_words, label_words)
            row[f"words_{lang}"] = " | ".join(w for w, _ in lang_words)
        rows.append(row)
    return pd.DataFrame(rows)
