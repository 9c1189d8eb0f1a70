"""Per-topic summaries: the topic table, words, mean vectors and representative documents.

Everything is computed with group-bys over the assignment array (one sparse indicator matrix
or one sort), not with a boolean mask per topic: at 1M documents × 500 topics a mask per topic
reads the whole corpus 500 times.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from topics.common import OUTLIER
from topics.counts import topic_sizes
from topics.scratch import take_rows
from topics.types import Corpus

REPRESENTATIVE_DOCUMENTS = 5
# Rows per block when a per-document sparse product is computed: bounds the temporary arrays
# whatever the corpus size.
_BLOCK = 65_536
# Rows of document vectors read per block (8,192 × 512 float64 = 32 MB): with 65,536 the
# blocks' copies were the largest transient of the represent stage (+256 MB at 100k).
_VECTOR_BLOCK = 8_192


def group_indicator(groups: np.ndarray) -> tuple[np.ndarray, sparse.csr_matrix]:
    """The distinct values of ``groups`` and a ``(values, documents)`` 0/1 membership matrix.

    Parameters
    ----------
    groups:
        One integer group per document.

    Returns
    -------
    values, indicator:
        Sorted distinct groups; ``indicator[g, i] = 1`` when document ``i`` is in ``values[g]``,
        so ``indicator @ X`` sums the rows of ``X`` per group.
    """
    groups = np.asarray(groups)
    values, index = np.unique(groups, return_inverse=True)
    n = groups.shape[0]
    indicator = sparse.csr_matrix(
        (np.ones(n, dtype=np.float64), (index.ravel(), np.arange(n))), shape=(len(values), n)
    )
    return values, indicator


def group_sums(
    matrix: sparse.spmatrix,
    groups: np.ndarray,
    *,
    keep: np.ndarray | None = None,
    binary: bool = False,
) -> tuple[np.ndarray, sparse.csr_matrix]:
    """Rows of ``matrix`` summed per group: ``(values, sums)`` with one row per value.

    The same as ``group_indicator(groups) → indicator @ matrix`` but block by block (rows of
    :data:`_BLOCK` × 4), so no copy of the whole matrix is made: at a million documents a
    document-term matrix is gigabytes.

    Parameters
    ----------
    matrix:
        ``(documents, columns)``.
    groups:
        One integer group per document.
    keep:
        Boolean mask of the documents to count (default: all).
    binary:
        Count documents (a nonzero cell counts 1) instead of summing values.
    """
    matrix = sparse.csr_matrix(matrix)
    groups = np.asarray(groups)
    keep = np.ones(groups.shape[0], dtype=bool) if keep is None else np.asarray(keep, dtype=bool)
    values = np.unique(groups[keep])
    index = np.searchsorted(values, groups)
    total = sparse.csr_matrix((len(values), matrix.shape[1]), dtype=np.float64)
    step = _BLOCK * 4
    for start in range(0, groups.shape[0], step):
        rows = np.flatnonzero(keep[start : start + step]) + start
        if rows.size == 0:
            continue
        block = sparse.csr_matrix(matrix[rows], dtype=np.float64)  # a copy of this block only
        if binary:
            block.data[:] = 1.0
        indicator = sparse.csr_matrix(
            (np.ones(rows.size), (index[rows], np.arange(rows.size))),
            shape=(len(values), rows.size),
        )
        total = total + indicator @ block
    return values, sparse.csr_matrix(total)


def topic_vectors(vectors: np.ndarray, assignments: np.ndarray) -> dict[int, np.ndarray]:
    """Unit-length mean embedding of each non-outlier topic.

    Sums are accumulated in float64 block by block (the vectors may be a float32 memmap).
    """
    assignments = np.asarray(assignments)
    kept = np.flatnonzero(assignments != OUTLIER)
    if kept.size == 0:
        return {}
    topics, indicator = group_indicator(assignments[kept])
    indicator = indicator.tocsc()  # sliced by columns (documents) below
    sums = np.zeros((len(topics), vectors.shape[1]), dtype=np.float64)
    for start in range(0, kept.size, _VECTOR_BLOCK):
        block = kept[start : start + _VECTOR_BLOCK]
        gathered = take_rows(vectors, block).astype(np.float64)
        sums += indicator[:, start : start + _VECTOR_BLOCK] @ gathered
    counts = np.asarray(indicator.sum(axis=1)).ravel()
    means = (sums / counts[:, None]).astype(np.float32)
    norms = np.linalg.norm(means, axis=1)
    norms[norms == 0] = 1.0
    means /= norms[:, None]
    return {int(topic): means[row] for row, topic in enumerate(topics)}


def representative_ids(
    corpus: Corpus, vectors: np.ndarray, assignments: np.ndarray, centres: dict[int, np.ndarray]
) -> dict[int, list[str]]:
    """Up to five documents per topic closest (cosine) to the topic's mean embedding.

    Ties keep corpus order. Documents of topics without a centre (outliers) are not ranked.
    """
    assignments = np.asarray(assignments)
    if not centres:
        return {}
    topics = np.array(sorted(centres), dtype=np.int64)
    centre_matrix = np.stack([centres[int(t)] for t in topics]).astype(np.float32)
    position = np.searchsorted(topics, assignments)
    ranked = np.flatnonzero(
        (position < len(topics)) & (topics[np.minimum(position, len(topics) - 1)] == assignments)
    )
    scores = np.empty(ranked.size, dtype=np.float64)
    for start in range(0, ranked.size, _VECTOR_BLOCK):
        rows = ranked[start : start + _VECTOR_BLOCK]
        block = take_rows(vectors, rows).astype(np.float32, copy=False)
        norms = np.linalg.norm(block, axis=1)
        norms[norms == 0] = 1.0
        dots = np.einsum("ij,ij->i", block, centre_matrix[position[rows]])
        scores[start : start + rows.size] = dots / norms
    # Topic first, then best score, then corpus order (np.lexsort: last key is primary).
    order = np.lexsort((ranked, -scores, position[ranked]))
    groups = position[ranked][order]
    starts = np.searchsorted(groups, np.arange(len(topics)))
    ends = np.searchsorted(groups, np.arange(len(topics)), side="right")
    return {
        int(topic): [
            corpus.ids[i] for i in ranked[order[start : min(end, start + REPRESENTATIVE_DOCUMENTS)]]
        ]
        for topic, start, end in zip(topics, starts, ends, strict=True)
        if end > start
    }


def topic_words(
    model: Any, assignments: np.ndarray, top_n: int
) -> dict[int, list[tuple[str, float]]]:
    """BERTopic's words for every topic present in ``assignments`` (best first, scores > 0)."""
    words: dict[int, list[tuple[str, float]]] = {}
    for topic in np.unique(np.asarray(assignments)).tolist():
        pairs = (model.get_topic(topic) if model is not None else None) or []
        words[int(topic)] = [
            (str(w), float(s)) for w, s in pairs[:top_n] if str(w) and float(s) > 0
        ]
    return words


def join_label(words: list[tuple[str, float]], n: int) -> str:
    """A label from the first ``n`` of ranked ``(word, score)`` pairs, joined with " · "."""
    return " · ".join(word for word, _ in words[:n])


def topic_table(
    corpus: Corpus,
    assignments: np.ndarray,
    words: dict[int, list[tuple[str, float]]],
    per_language: dict[str, dict[int, list[tuple[str, float]]]],
    label_words: int,
    top_n: int,
    labels: dict[int, dict[str, str]] | None = None,
) -> pd.DataFrame:
    """One row per topic (``-1`` first when present): size, label, words, language shares.

    Parameters
    ----------
    corpus:
        The documents (their languages).
    assignments:
        Final topic per document.
    words:
        From :func:`topic_words`.
    per_language:
        From :func:`topics.represent.bilingual.language_words`.
    label_words, top_n:
        Words in a plain label, and in the ``words`` columns.
    labels:
        ``{topic: {label, label_en, label_zh}}`` from
        :meth:`topics.represent.labels.GroupLabeler.label`; without, labels are the first
        ``label_words`` words.

    Returns
    -------
    pandas.DataFrame
        Columns ``topic, size, label, words, share_zh, share_en, label_en, words_en,
        label_zh, words_zh``.
    """
    stats = topic_sizes(assignments, corpus.langs)
    rows = []
    for topic, size, share_zh, share_en in stats.itertuples():
        topic = int(topic)
        row = {
            "topic": topic,
            "size": int(size),
            "label": "Outliers"
            if topic == OUTLIER
            else join_label(words.get(topic, []), label_words),
            "words": " | ".join(w for w, _ in words.get(topic, [])[:top_n]),
            "share_zh": float(share_zh),
            "share_en": float(share_en),
        }
        for lang in ("en", "zh"):
            lang_words = per_language.get(lang, {}).get(topic, []) if topic != OUTLIER else []
            row[f"label_{lang}"] = join_label(lang_words, label_words)
            row[f"words_{lang}"] = " | ".join(w for w, _ in lang_words)
        if topic != OUTLIER and labels is not None and topic in labels:
            row.update(labels[topic])
        rows.append(row)
    return pd.DataFrame(rows)
