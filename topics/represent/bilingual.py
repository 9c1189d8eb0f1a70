"""Per-language topic words, so a mixed topic gets a Chinese and an English label.

No machine translation is available offline, so each label is made of the documents' own words:
``words_zh`` from the topic's Chinese documents, ``words_en`` from its English ones. Latin-script
terms inside Chinese text (acronyms, model names) stay eligible for ``words_zh`` and so bridge
the two labels.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from scipy import sparse

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def class_tfidf(counts: sparse.csr_matrix) -> np.ndarray:
    """BERTopic's c-TF-IDF weighting of a ``(classes, terms)`` count matrix (dense result).

    ``W = tf(t, c) / |c| * log(1 + A / f(t))`` with ``A`` the mean class size in tokens and
    ``f(t)`` the term's frequency over all classes.
    """
    counts = sparse.csr_matrix(counts, dtype=np.float64)
    totals = np.asarray(counts.sum(axis=1)).ravel()
    totals[totals == 0] = 1.0
    frequency = np.asarray(counts.sum(axis=0)).ravel()
    average = counts.sum() / max(counts.shape[0], 1)
    idf = np.log1p(average / np.where(frequency > 0, frequency, 1.0))
    tf = sparse.diags(1.0 / totals) @ counts
    return np.asarray((tf @ sparse.diags(idf)).todense())


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
    result: dict[str, dict[int, list[tuple[str, float]]]] = {"en": {}, "zh": {}}
    if document_term is None or document_term.shape[1] == 0:
        return result
    langs_array = np.asarray(langs)
    topics = sorted(set(np.asarray(assignments).tolist()) - {-1})
    classes: list[tuple[str, int]] = []
    rows = []
    for lang in ("en", "zh"):
        for topic in topics:
            members = np.flatnonzero((assignments == topic) & (langs_array == lang))
            if len(members):
                classes.append((lang, topic))
                rows.append(sparse.csr_matrix(document_term[members].sum(axis=0)))
    if not rows:
        return result
    counts = sparse.vstack(rows).tocsr()
    weights = class_tfidf(counts)
    han = np.array([bool(_HAN.search(word)) for word in vocabulary])
    for index, (lang, topic) in enumerate(classes):
        scores = weights[index].copy()
        scores[counts[index].toarray().ravel() == 0] = 0.0
        if lang == "en":
            scores[han] = 0.0
        best = np.argsort(-scores, kind="stable")[:top_n]
        result[lang][topic] = [
            (str(vocabulary[i]), round(float(scores[i]), 6)) for i in best if scores[i] > 0
        ]
    return result
