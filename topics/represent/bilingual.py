"""Per-language topic words, so a mixed topic gets a Chinese and an English label.

No machine translation is available offline, so each label is made of the documents' own words:
``words_zh`` from the topic's Chinese documents, ``words_en`` from its English ones. Latin-script
terms inside Chinese text (acronyms, model names) stay eligible for ``words_zh`` and so bridge
the two labels.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse

from topics.text.han import HAN as _HAN


def class_tfidf(counts: sparse.spmatrix) -> sparse.csr_matrix:
    """BERTopic's c-TF-IDF weighting of a ``(classes, terms)`` count matrix (sparse result).

    ``W = tf(t, c) / |c| * log(1 + A / f(t))`` with ``A`` the mean class size in tokens and
    ``f(t)`` the term's frequency over all classes. Terms a class does not contain weigh 0.
    """
    counts = sparse.csr_matrix(counts, dtype=np.float64)
    totals = np.asarray(counts.sum(axis=1)).ravel()
    totals[totals == 0] = 1.0
    frequency = np.asarray(counts.sum(axis=0)).ravel()
    average = counts.sum() / max(counts.shape[0], 1)
    idf = np.log1p(average / np.where(frequency > 0, frequency, 1.0))
    tf = sparse.diags(1.0 / totals) @ counts
    weights = sparse.csr_matrix(tf @ sparse.diags(idf))
    weights.eliminate_zeros()
    weights.sort_indices()
    return weights


def language_words(
    document_term: sparse.csr_matrix,
    vocabulary: Sequence[str],
    assignments: np.ndarray,
    langs: Sequence[str],
    top_n: int,
) -> dict[str, dict[int, list[tuple[str, float]]]]:
    """Top words of each topic computed from its documents in one language at a time.

    Parameters
    ----------
    document_term:
        ``(n_docs, n_terms)`` token counts on the run's tokenization.
    vocabulary:
        Column names of ``document_term``.
    assignments:
        Topic per document (``-1`` outliers are skipped).
    langs:
        Language tag per document.
    top_n:
        Words kept per topic and language.

    Returns
    -------
    dict
        ``{"en": {topic: [(word, score), ...]}, "zh": {...}}``; a topic without documents in a
        language has no entry there. English words never contain Han characters.
    """
    from topics.represent.table import group_sums

    result: dict[str, dict[int, list[tuple[str, float]]]] = {"en": {}, "zh": {}}
    if document_term is None or document_term.shape[1] == 0:
        return result
    assignments = np.asarray(assignments, dtype=np.int64)
    langs_array = np.asarray(langs)
    # One class per (language, topic) that has documents, English classes first.
    lang_codes = np.select([langs_array == "en", langs_array == "zh"], [0, 1], default=-1)
    kept = np.flatnonzero((assignments != -1) & (lang_codes >= 0))
    if kept.size == 0:
        return result
    offset = int(assignments[kept].max()) + 1
    mask = np.zeros(assignments.shape[0], dtype=bool)
    mask[kept] = True
    classes, counts = group_sums(document_term, lang_codes * offset + assignments, keep=mask)
    weights = class_tfidf(counts)
    han = np.array([bool(_HAN.search(word)) for word in vocabulary], dtype=bool)
    for row, code in enumerate(classes.tolist()):
        lang, topic = ("en", "zh")[code // offset], code % offset
        result[lang][topic] = top_terms(
            weights, row, vocabulary, top_n, exclude=han if lang == "en" else None
        )
    return result


def top_terms(
    weights: sparse.csr_matrix,
    row: int,
    vocabulary: Sequence[str],
    top_n: int,
    exclude: np.ndarray | None = None,
) -> list[tuple[str, float]]:
    """The ``top_n`` best-weighted terms of one row of :func:`class_tfidf`, best first.

    ``exclude`` is a boolean mask over the vocabulary of terms to skip (Chinese words in an
    English label).
    """
    start, end = weights.indptr[row], weights.indptr[row + 1]
    columns, scores = weights.indices[start:end], weights.data[start:end]
    if exclude is not None:
        columns, scores = columns[~exclude[columns]], scores[~exclude[columns]]
    # Columns are sorted, so a stable sort breaks ties by vocabulary order.
    best = np.argsort(-scores, kind="stable")[:top_n]
    return [
        (str(vocabulary[columns[i]]), round(float(scores[i]), 6)) for i in best if scores[i] > 0
    ]
