"""Cross-lingual retrieval: is each document's nearest other-language neighbour its translation?"""

from __future__ import annotations

import numpy as np

from topics.crosslingual.duplicates import nearest_neighbours, unit_rows


def retrieval_recall_at_1(zh_vectors: np.ndarray, en_vectors: np.ndarray) -> tuple[float, float]:
    """Recall@1 of translation retrieval in both directions.

    Parameters
    ----------
    zh_vectors, en_vectors:
        ``(n, d)`` embeddings; row ``i`` of each is one pair (the same paper in Chinese and
        in English). Similarity is cosine; search runs in blocks (no ``n × n`` matrix).

    Returns
    -------
    (zh_to_en, en_to_zh):
        Share of Chinese rows whose most similar English row is their own translation, and
        the reverse. Ties go to the lowest row index.

    Examples
    --------
    >>> eye = np.eye(3, dtype=np.float32)
    >>> retrieval_recall_at_1(eye, eye)
    (1.0, 1.0)
    """
    zh = unit_rows(zh_vectors)
    en = unit_rows(en_vectors)
    if zh.shape != en.shape:
        raise ValueError(
            f"zh_vectors {zh.shape} and en_vectors {en.shape} must have one row per pair"
        )
    if len(zh) == 0:
        raise ValueError("retrieval_recall_at_1 needs at least one pair")
    expected = np.arange(len(zh))
    zh_best, _ = nearest_neighbours(zh, en)
    en_best, _ = nearest_neighbours(en, zh)
    return float((zh_best == expected).mean()), float((en_best == expected).mean())
