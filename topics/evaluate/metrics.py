"""Quality metrics for a topic run: coherence, diversity, outliers, balance, labels, hygiene.

BERTopic has no built-in coherence or diversity score (BERTopic #90, #1489), so runs are scored
here with pure functions over the run's own document-term matrix (scipy CSR, raw counts, rows =
documents, columns = vocabulary) and topic assignments (``-1`` = outlier).

- :func:`npmi_coherence`: NPMI of each topic's top words, from document co-occurrence;
- :func:`topic_diversity`: unique share of all topics' top words (Dieng et al. 2020);
- :func:`outlier_share`, :func:`size_balance`: how many documents were left out, how evenly
  the rest spread over topics;
- :func:`label_agreement`: NMI/ARI against reference labels, with and without outliers;
- :func:`label_hygiene`: share of top words that are junk (stopwords, numbers) or too rare;
- :func:`pairwise_ari`: agreement between repeated runs (stability, BERTopic #47, #1264).

Undefined values (no topics, no labels, fewer than two runs) are ``nan``; :func:`evaluate`
turns them into ``None`` so its result is valid JSON.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from topics.common import OUTLIER
from topics.text.stopwords import stopwords as default_stopwords
from topics.text.tokenizer import is_junk_token

TopicWords = Mapping[int, Sequence[str]]


def _column_index(vocabulary: Sequence[str] | Mapping[str, int]) -> Mapping[str, int]:
    if isinstance(vocabulary, Mapping):
        return vocabulary
    return {word: column for column, word in enumerate(vocabulary)}


def _topic_ids(topic_words: TopicWords) -> list[int]:
    return sorted(int(topic) for topic in topic_words if int(topic) != OUTLIER)


def _document_frequency(doc_term: sparse.spmatrix) -> np.ndarray:
    """Number of documents containing each column (counts above zero)."""
    csc = sparse.csc_matrix(doc_term)
    csc.eliminate_zeros()
    return np.diff(csc.indptr)


def _npmi_matrix(presence: sparse.csc_matrix, n_documents: int) -> np.ndarray:
    """Pairwise NPMI of the columns of a binary document × word matrix (upper triangle used)."""
    co = np.asarray((presence.T @ presence).todense(), dtype=np.float64)
    p_word = np.diag(co) / n_documents
    p_joint = co / n_documents
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(p_joint / np.outer(p_word, p_word))
        npmi = pmi / -np.log(p_joint)
    npmi[p_joint == 0] = -1.0  # never together: the standard convention
    npmi[p_joint == 1] = 1.0  # together in every document: log 1 / -log 1 is 0/0
    return npmi


def npmi_coherence(
    doc_term: sparse.spmatrix,
    vocabulary: Sequence[str] | Mapping[str, int],
    topic_words: TopicWords,
    top_n: int = 10,
) -> tuple[float, dict[int, float]]:
    """Mean NPMI coherence of the topics' top words, from co-occurrence in ``doc_term``.

    For words ``wi``, ``wj`` with document probabilities ``P(wi)``, ``P(wj)`` (share of documents
    containing the word) and ``P(wi, wj)`` (share containing both)::

        NPMI = log(P(wi, wj) / (P(wi) P(wj))) / -log P(wi, wj)

    with ``NPMI = -1`` when the words never co-occur and ``1`` when both are in every document.
    A topic scores the mean over all pairs of its top-``top_n`` words.

    Parameters
    ----------
    doc_term:
        Document-term counts, rows = documents, columns = vocabulary.
    vocabulary:
        Column words, as a list (position = column) or a ``word → column`` mapping.
    topic_words:
        Topic id → words, best first. Topic ``-1`` (outliers) is ignored.
    top_n:
        Words taken from the head of each topic's list. Words missing from the vocabulary or
        present in no document are skipped (not replaced by later words).

    Returns
    -------
    tuple[float, dict[int, float]]
        The mean over topics, and each topic's score. A topic with fewer than two usable words
        scores ``nan`` and is left out of the mean; the mean is ``nan`` when no topic scores.
    """
    columns = _column_index(vocabulary)
    csc = sparse.csc_matrix(doc_term)
    n_documents = csc.shape[0]
    frequency = _document_frequency(csc)
    per_topic: dict[int, float] = {}
    for topic in _topic_ids(topic_words):
        cols: list[int] = []
        for word in list(topic_words[topic])[:top_n]:
            column = columns.get(word)
            if column is not None and frequency[column] > 0 and column not in cols:
                cols.append(column)
        if len(cols) < 2 or n_documents == 0:
            per_topic[topic] = math.nan
            continue
        presence = (csc[:, cols] > 0).astype(np.float64)
        npmi = _npmi_matrix(presence, n_documents)
        upper = np.triu_indices(len(cols), k=1)
        per_topic[topic] = float(npmi[upper].mean())
    scores = [score for score in per_topic.values() if not math.isnan(score)]
    mean = float(np.mean(scores)) if scores else math.nan
    return mean, per_topic


def topic_diversity(topic_words: TopicWords, top_n: int = 25) -> float:
    """Share of distinct words among the top-``top_n`` words of all topics.

    Parameters
    ----------
    topic_words:
        Topic id → words, best first; topic ``-1`` is ignored.
    top_n:
        Words per topic (25 in Dieng et al. and the BERTopic paper).

    Returns
    -------
    float
        ``unique words / total words``: 1 when no word is shared, ``nan`` without topic words.
    """
    words = [w for t in _topic_ids(topic_words) for w in list(topic_words[t])[:top_n]]
    return len(set(words)) / len(words) if words else math.nan


def outlier_share(assignments: Sequence[int] | np.ndarray) -> float:
    """Share of documents assigned to topic ``-1`` (``nan`` for no documents).

    Parameters
    ----------
    assignments:
        Topic id per document.

    Returns
    -------
    float
        Between 0 and 1.
    """
    topics = np.asarray(assignments)
    return float(np.mean(topics == OUTLIER)) if topics.size else math.nan


def size_balance(assignments: Sequence[int] | np.ndarray) -> float:
    """Normalised Shannon entropy of topic sizes, outliers excluded.

    ``H(sizes) / log(k)`` for ``k`` topics: 1 when every topic holds as many documents as the
    others, near 0 when one topic holds nearly everything. Entropy rather than Gini because it
    reads as "effective number of topics" (``k ** balance``) and is 0..1 for any ``k``.

    Parameters
    ----------
    assignments:
        Topic id per document.

    Returns
    -------
    float
        Between 0 and 1; ``nan`` with fewer than two topics (balance is then undefined).
    """
    topics = np.asarray(assignments)
    _, sizes = np.unique(topics[topics != OUTLIER], return_counts=True)
    if sizes.size < 2:
        return math.nan
    shares = sizes / sizes.sum()
    return float(-(shares * np.log(shares)).sum() / np.log(sizes.size))


def _is_missing(label: Any) -> bool:
    if label is None:
        return True
    try:
        return bool(label != label)  # NaN, pandas.NA-free floats
    except (TypeError, ValueError):
        return False


def label_agreement(
    labels_true: Sequence[Any], assignments: Sequence[int] | np.ndarray
) -> dict[str, float]:
    """NMI and ARI between reference labels and topic assignments.

    Parameters
    ----------
    labels_true:
        Reference label per document; ``None``/NaN labels leave their documents out.
    assignments:
        Topic id per document, same length.

    Returns
    -------
    dict[str, float]
        ``nmi_all``, ``ari_all`` (outliers form one more cluster) and ``nmi_assigned``,
        ``ari_assigned`` (documents with a topic only); ``nan`` where no document qualifies.
    """
    topics = np.asarray(assignments)
    if len(labels_true) != topics.shape[0]:
        raise ValueError(f"{len(labels_true)} labels for {topics.shape[0]} assignments")
    known = np.fromiter(
        (not _is_missing(label) for label in labels_true), dtype=bool, count=len(labels_true)
    )
    # One int per distinct label: str() so that mixed label types (2, "2", "cs.LG") compare,
    # codes so that a million labels are not a fixed-width string array (+300 MB at 1M).
    code_of: dict[str, int] = {}
    labels = np.fromiter(
        (code_of.setdefault(str(label), len(code_of)) for label in labels_true),
        dtype=np.int64,
        count=len(labels_true),
    )
    result: dict[str, float] = {}
    for suffix, keep in (("all", known), ("assigned", known & (topics != OUTLIER))):
        if keep.any():
            truth, predicted = labels[keep], topics[keep]
            result[f"nmi_{suffix}"] = float(normalized_mutual_info_score(truth, predicted))
            result[f"ari_{suffix}"] = float(adjusted_rand_score(truth, predicted))
        else:
            result[f"nmi_{suffix}"] = math.nan
            result[f"ari_{suffix}"] = math.nan
    return result


def label_hygiene(
    topic_words: TopicWords,
    stop: frozenset[str],
    document_frequency: Mapping[str, int] | Callable[[str], int],
    min_df: int,
    top_n: int = 10,
) -> float:
    """Share of topic words that are junk: stopwords, numbers, punctuation, or too rare.

    Parameters
    ----------
    topic_words:
        Topic id → words, best first; topic ``-1`` is ignored.
    stop:
        Lower-cased stopwords (see :func:`topics.text.stopwords.stopwords`).
    document_frequency:
        Documents containing a word, as a mapping (missing words count 0) or a function.
    min_df:
        A word in fewer documents than this counts as junk.
    top_n:
        Words checked per topic.

    Returns
    -------
    float
        0 for a clean run, ``nan`` without topic words.
    """
    frequency = (
        document_frequency
        if callable(document_frequency)
        else (lambda word: document_frequency.get(word, 0))
    )
    words = [w for t in _topic_ids(topic_words) for w in list(topic_words[t])[:top_n]]
    if not words:
        return math.nan
    junk = sum(1 for w in words if is_junk_token(w, stop) or frequency(w) < min_df)
    return junk / len(words)


def pairwise_ari(runs: Iterable[Sequence[int] | np.ndarray]) -> float:
    """Mean adjusted Rand index between every pair of runs over the same documents.

    Parameters
    ----------
    runs:
        Topic assignments of each run (outliers included as a cluster).

    Returns
    -------
    float
        1 when all runs agree up to topic numbering; ``nan`` for fewer than two runs.
    """
    arrays = [np.asarray(run) for run in runs]
    if len({a.shape for a in arrays}) > 1:
        raise ValueError("runs must assign the same documents")
    scores = [adjusted_rand_score(a, b) for a, b in itertools.combinations(arrays, 2)]
    return float(np.mean(scores)) if scores else math.nan


def _json_number(value: float) -> float | None:
    if isinstance(value, int):
        return value
    return None if value is None or math.isnan(value) else float(value)


#: Every key a run's ``manifest.metrics`` can hold: :func:`evaluate`'s, plus the pipeline's
#: ``stability_ari`` and ``generic_label_share``. A sweep's objective and constraints name one.
METRIC_NAMES = (
    "npmi",
    "diversity",
    "outlier_share",
    "topics",
    "size_balance",
    "hygiene",
    "nmi_all",
    "ari_all",
    "nmi_assigned",
    "ari_assigned",
    "stability_ari",
    "generic_label_share",
)


def evaluate(
    doc_term: sparse.spmatrix,
    vocabulary: Sequence[str] | Mapping[str, int],
    topic_words: TopicWords,
    assignments: Sequence[int] | np.ndarray,
    labels: Sequence[Any] | None = None,
    stop: frozenset[str] | None = None,
    min_df: int = 1,
    top_n: int = 10,
    diversity_top_n: int = 25,
) -> dict[str, float | None]:
    """All metrics of one run as a flat, JSON-ready dict.

    Parameters
    ----------
    doc_term:
        Document-term counts of the run's documents (the vectorizer's output), or of the
        fitted core of a run that assigned the rest: NPMI and hygiene read word
        co-occurrence and document frequency from it, not its rows' topics.
    vocabulary:
        Column words (list) or ``word → column`` mapping.
    topic_words:
        Topic id → words, best first.
    assignments:
        Topic id per document (``-1`` = outlier).
    labels:
        Reference label per document, or ``None`` for an unlabelled corpus.
    stop:
        Stopwords for hygiene; the shipped lists by default.
    min_df:
        Document-frequency floor used by hygiene (config ``topics.min_df``).
    top_n:
        Words per topic for NPMI and hygiene.
    diversity_top_n:
        Words per topic for diversity.

    Returns
    -------
    dict[str, float | None]
        ``npmi``, ``diversity``, ``outlier_share``, ``topics`` (distinct non-outlier topics
        assigned), ``size_balance``, ``hygiene`` and, with labels, ``nmi_all``, ``ari_all``,
        ``nmi_assigned``, ``ari_assigned``. Undefined values are ``None``.
    """
    columns = _column_index(vocabulary)
    frequency = _document_frequency(doc_term)
    topics = np.asarray(assignments)

    def document_frequency(word: str) -> int:
        column = columns.get(word)
        return 0 if column is None else int(frequency[column])

    npmi, _ = npmi_coherence(doc_term, columns, topic_words, top_n=top_n)
    result: dict[str, float | None] = {
        "npmi": npmi,
        "diversity": topic_diversity(topic_words, top_n=diversity_top_n),
        "outlier_share": outlier_share(topics),
        "topics": int(np.unique(topics[topics != OUTLIER]).size),
        "size_balance": size_balance(topics),
        "hygiene": label_hygiene(
            topic_words,
            default_stopwords() if stop is None else stop,
            document_frequency,
            min_df,
            top_n=top_n,
        ),
    }
    if labels is not None:
        result.update(label_agreement(labels, topics))
    return {key: _json_number(value) for key, value in result.items()}
