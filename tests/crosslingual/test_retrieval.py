"""Cross-lingual retrieval recall@1."""

from __future__ import annotations

import numpy as np
import pytest

from topics.crosslingual import retrieval_recall_at_1


def test_counts_each_direction_separately() -> None:
    # en row 2 sits exactly on zh row 1: zh1→en2 is a miss one way; en2→zh1 and en1→zh? too.
    zh = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float32)
    en = np.array([[1, 0, 0], [0, 0.6, 0.8], [0, 1, 0.1]], dtype=np.float32)

    zh_to_en, en_to_zh = retrieval_recall_at_1(zh, en)

    # zh0→en0 ok, zh1→en2 miss, zh2→en1 miss; en0→zh0 ok, en1→zh2 miss, en2→zh1 miss.
    assert (zh_to_en, en_to_zh) == pytest.approx((1 / 3, 1 / 3))


def test_scale_does_not_matter_and_perfect_pairs_score_one() -> None:
    generator = np.random.default_rng(1)
    zh = generator.normal(size=(50, 16)).astype(np.float32)

    assert retrieval_recall_at_1(zh, 7.0 * zh + 0.01) == pytest.approx((1.0, 1.0))


def test_rows_must_align() -> None:
    with pytest.raises(ValueError, match="one row per pair"):
        retrieval_recall_at_1(np.ones((3, 4), np.float32), np.ones((2, 4), np.float32))
