"""The nearest-neighbour assigner: exact search, the weighted vote, map placement."""

from __future__ import annotations

import numpy as np
import pytest

from topics import neighbours as search
from topics.assign import core_rows, knn, nearest, place, vote


def unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_core_rows_are_a_seeded_sorted_sample_or_none() -> None:
    assert core_rows(1000, None, 42) is None
    assert core_rows(1000, 1000, 42) is None  # not above the threshold: fit on everything
    first = core_rows(1000, 300, 42)
    assert first is not None and len(first) == 300 and len(set(first.tolist())) == 300
    assert (np.diff(first) > 0).all() and first.max() < 1000
    np.testing.assert_array_equal(first, core_rows(1000, 300, 42))
    assert not np.array_equal(first, core_rows(1000, 300, 7))


@pytest.mark.parametrize(("n_core", "group"), [(200, 64), (200, 4), (203, 4)])
def test_exact_search_matches_brute_force_across_blocks(monkeypatch, n_core, group) -> None:
    rng = np.random.default_rng(0)
    core, queries = rng.normal(size=(n_core, 16)), rng.normal(size=(70, 16))
    monkeypatch.setattr(search, "BLOCK_CELLS", n_core * 8)  # 8 queries per block: 9 blocks
    # 64: too few groups, a full partition; 4: the grouped top-k (203: with a short tail)
    monkeypatch.setattr(search, "TOP_K_GROUP", group)
    found = nearest(core * 3.0, queries, k=6)  # scale must not matter: cosine
    similarity = unit(queries) @ unit(core).T
    expected = np.argsort(-similarity, axis=1)[:, :6]
    np.testing.assert_array_equal(found.indices, expected)
    np.testing.assert_allclose(
        found.similarities, np.take_along_axis(similarity, expected, axis=1), rtol=1e-5
    )
    assert found.indices.dtype == np.int32  # held for every assigned document


@pytest.mark.parametrize(("columns", "k"), [(1000, 5), (1030, 15), (640, 1), (100, 7)])
def test_top_k_finds_the_largest_entries_of_each_row(monkeypatch, columns: int, k: int) -> None:
    monkeypatch.setattr(search, "TOP_K_GROUP", 8)  # grouped but for 100 columns (12 groups)
    rng = np.random.default_rng(columns)
    scores = rng.normal(size=(40, columns)).astype(np.float32)
    scores[0, -3:] = 10.0  # the largest entries in the short last group
    scores[1, :] = 0.5  # all tied: any k columns, all with the right value
    found, values = search.top_k(scores, k)
    assert found.shape == values.shape == (40, k)
    np.testing.assert_array_equal(values, np.take_along_axis(scores, found, axis=1))
    for row in range(2, 40):
        assert set(found[row].tolist()) == set(np.argsort(-scores[row])[:k].tolist())
    assert len(set(found[0].tolist()) & set(range(columns - 3, columns))) == min(k, 3)
    assert len(set(found[1].tolist())) == k and (values[1] == 0.5).all()


@pytest.mark.slow
def test_approximate_search_finds_nearly_the_same_neighbours(monkeypatch) -> None:
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(5, 16)) * 4
    core = np.repeat(centres, 80, axis=0) + rng.normal(size=(400, 16))
    queries = np.repeat(centres, 10, axis=0) + rng.normal(size=(50, 16))
    exact = nearest(core, queries, k=5)
    monkeypatch.setattr(search, "EXACT_PAIRS", 0)
    approximate = nearest(core, queries, k=5, seed=3)
    overlap = np.mean(
        [len(set(a) & set(b)) / 5 for a, b in zip(exact.indices, approximate.indices, strict=True)]
    )
    assert overlap >= 0.9
    assert approximate.indices.dtype == exact.indices.dtype == np.int32


def test_vote_sums_inverse_distances_per_label_and_outliers_vote_too() -> None:
    labels = np.array([0, 0, 1, -1, -1, 2])
    neighbours = knn.Neighbours(
        indices=np.array([[2, 0, 1], [3, 4, 0], [5, 2, 0], [0, 2, 5], [1, 2, 3]]),
        similarities=np.array(
            [[0.9, 0.7, 0.7], [0.6, 0.6, 0.8], [0.5, 0.5, 0.1], [0.5, 0.5, 0.5], [1.0, 0.9, 0.9]],
            dtype=np.float32,
        ),
    )
    found, shares = vote(labels, neighbours)
    # Weights 1 / (1 - similarity). Row 0: label 1 has 10 against label 0's 3.3 + 3.3. Row 1:
    # the two outliers (2.5 + 2.5) beat label 0 (5). Row 2: a tie 2 / 2 goes to the nearest
    # neighbour's label (2). Row 3: a three-way tie, the nearest neighbour's label (0). Row 4:
    # an exact copy of document 1 weighs 1,000 (capped) against 10 + 10.
    np.testing.assert_array_equal(found, [1, -1, 2, 0, 0])
    np.testing.assert_allclose(
        shares, [10 / (10 + 20 / 3), 5 / 10, 2 / (4 + 1 / 0.9), 1 / 3, 1000 / 1020], rtol=1e-4
    )


def test_vote_and_place_in_blocks_equal_one_pass(monkeypatch) -> None:
    """Large corpora vote in blocks of queries; the blocks change nothing."""
    rng = np.random.default_rng(3)
    core = rng.normal(size=(300, 8)).astype(np.float32)
    labels = rng.integers(-1, 6, size=300)
    coords = rng.normal(size=(300, 2)).astype(np.float32)
    found = nearest(core, rng.normal(size=(1000, 8)).astype(np.float32), 7)
    whole_labels, whole_shares = vote(labels, found)
    whole_coords = place(coords, labels, found, whole_labels)
    monkeypatch.setattr(knn, "VOTE_BLOCK", 97)
    block_labels, block_shares = vote(labels, found)
    np.testing.assert_array_equal(block_labels, whole_labels)
    np.testing.assert_array_equal(block_shares, whole_shares)
    np.testing.assert_array_equal(place(coords, labels, found, block_labels), whole_coords)
    assert len(set(whole_labels.tolist())) >= 5  # the vote is not trivially one label


def test_place_averages_only_the_neighbours_of_the_winning_label() -> None:
    coords = np.array([[0.0, 0.0], [2.0, 0.0], [100.0, 100.0]])
    labels = np.array([0, 0, 1])
    neighbours = knn.Neighbours(
        indices=np.array([[0, 2, 1]]), similarities=np.array([[0.9, 0.8, 0.5]], dtype=np.float32)
    )
    found, _ = vote(labels, neighbours)
    assert found.tolist() == [0]  # 10 + 2 against 5
    np.testing.assert_allclose(
        place(coords, labels, neighbours, found), [[2 * 2 / 12, 0.0]], rtol=1e-5
    )


@pytest.mark.parametrize("k", [1, 50])
def test_k_is_capped_by_the_core(k: int) -> None:
    rng = np.random.default_rng(2)
    found = nearest(rng.normal(size=(10, 4)), rng.normal(size=(3, 4)), k=k)
    assert found.indices.shape == (3, min(k, 10))
