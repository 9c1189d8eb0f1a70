"""Topic layers: nesting, the overview's size from the data, c-TF-IDF words per group."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from topics.layers import (
    OUTLIER,
    build_layers,
    document_pair_distance,
    fixed_overview_warning,
    group_words,
    layer_counts,
)


def clustered_topics(groups: int, per_group: int, seed: int = 0) -> dict[int, np.ndarray]:
    """Topic vectors in ``groups`` well-separated directions, ``per_group`` topics each."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(groups, 32))
    vectors = {}
    for topic in range(groups * per_group):
        vector = centres[topic % groups] + rng.normal(scale=0.15, size=32)
        vectors[topic] = vector / np.linalg.norm(vector)
    return vectors


def test_layer_counts_space_the_layers_geometrically() -> None:
    assert layer_counts(5, 8) == []
    assert layer_counts(20, 8) == [8]  # ratio 2.5: no layer in between
    assert layer_counts(60, 8) == [22, 8]  # ratio 7.5: one in between, at the geometric mean
    assert layer_counts(80, 8) == [37, 17, 8]  # ratio 10 > 3²: two in between
    assert len(layer_counts(5_000, 8)) == 3  # never more than three coarser layers


def test_overview_finds_the_structure_and_layers_nest() -> None:
    vectors = clustered_topics(groups=9, per_group=8)  # 72 fine topics in 9 directions
    sizes = {topic: 10 + topic for topic in vectors}
    layers = build_layers(vectors, sizes)
    overview = layers.parents[-1]
    assert len(set(overview.values())) == 9
    # The overview groups are exactly the nine directions.
    for topic, group in overview.items():
        same = [other for other, g in overview.items() if g == group]
        assert {t % 9 for t in same} == {topic % 9}
    # Every fine topic has one parent per layer, and layers nest: topics that share a group
    # in a finer layer share it in every coarser one.
    for finer, coarser in zip(layers.parents, layers.parents[1:], strict=False):
        for a in vectors:
            for b in vectors:
                if finer[a] == finer[b]:
                    assert coarser[a] == coarser[b]
    # Group ids count from 0 by decreasing size.
    totals = {}
    for topic, group in overview.items():
        totals[group] = totals.get(group, 0) + sizes[topic]
    assert [totals[g] for g in sorted(totals)] == sorted(totals.values(), reverse=True)
    # Documents follow their topic; outliers stay outliers.
    columns = layers.of_documents(np.array([0, 5, OUTLIER]))
    assert columns[layers.columns[-1]].tolist() == [overview[0], overview[5], OUTLIER]


def test_setting_off_or_a_fixed_overview() -> None:
    vectors = clustered_topics(groups=9, per_group=8)
    sizes = dict.fromkeys(vectors, 1)
    assert build_layers(vectors, sizes, "off").parents == []
    assert len(set(build_layers(vectors, sizes, 12).parents[-1].values())) == 12
    few = {t: v for t, v in vectors.items() if t < 5}
    assert build_layers(few, sizes).parents == []  # 5 topics are already an overview


def test_a_fixed_overview_that_cannot_be_met_is_said() -> None:
    vectors = clustered_topics(groups=3, per_group=5)  # 15 topics
    sizes = dict.fromkeys(vectors, 1)
    counts = [len(vectors), len(set(build_layers(vectors, sizes, 500).parents[-1].values()))]
    assert counts == [15, 14]
    assert fixed_overview_warning(500, counts) == (
        "topics.layers asked for an overview of 500 groups; with 15 topics it has 14."
    )
    assert fixed_overview_warning(12, [15, 12]) is None
    assert fixed_overview_warning("auto", [15, 4]) is None
    assert "no layers written" in fixed_overview_warning(8, [5])


def test_group_words_are_class_tf_idf() -> None:
    # Two groups: group 0 documents use "graph" (and "model"), group 1 "cell" (and "model").
    counts = sp.csr_matrix(
        np.array([[3, 1, 0], [2, 1, 0], [0, 1, 4], [0, 1, 1], [5, 5, 5]], dtype=float)
    )
    groups = np.array([0, 0, 1, 1, OUTLIER])  # the outlier's counts are ignored
    words = group_words(counts, ["graph", "model", "cell"], groups, top_n=3)
    assert [w for w, _ in words[0]][:2] == ["graph", "model"]
    assert [w for w, _ in words[1]][:2] == ["cell", "model"]
    # tf 5/7 × log(1 + (14/2) / 5) for "graph" in group 0.
    assert np.isclose(dict(words[0])["graph"], 5 / 7 * np.log(1 + 7 / 5))


def test_overview_passes_over_counts_with_a_group_of_most_documents() -> None:
    """A group holding over half the documents cannot have a distinctive label word."""
    vectors = clustered_topics(groups=9, per_group=8)
    sizes = {topic: 1000 if topic % 9 == 0 else 10 for topic in vectors}  # direction 0: 93%
    overview = build_layers(vectors, sizes).parents[-1]
    totals: dict[int, int] = {}
    for topic, group in overview.items():
        totals[group] = totals.get(group, 0) + sizes[topic]
    assert max(totals.values()) <= 0.5 * sum(sizes.values())
    assert 9 < len(totals) <= 30  # direction 0 split; the nine directions are still apart
    for topic, group in overview.items():
        same = [other for other, g in overview.items() if g == group]
        assert {t % 9 for t in same} == {topic % 9}


OVERVIEW_DATA = Path(__file__).resolve().parents[1] / "data" / "overview"


@pytest.mark.parametrize(
    "run", sorted(path.stem for path in OVERVIEW_DATA.glob("*.npz")) or ["missing"]
)
def test_overview_tracks_the_subject_count_of_real_runs(run: str) -> None:
    """Topic vectors of real `fast` runs (bench/overview.py) on corpora of 8–23 subjects,
    where the largest dendrogram gap alone chose 6, 6, 10 and 21 groups: the overview is
    within 0.5–2× the subject count."""
    kept = np.load(OVERVIEW_DATA / f"{run}.npz")
    vectors = {topic: row for topic, row in enumerate(kept["vectors"])}
    sizes = {topic: int(size) for topic, size in enumerate(kept["sizes"])}
    groups = len(set(build_layers(vectors, sizes).parents[-1].values()))
    subjects = int(kept["subjects"])
    assert 0.5 * subjects <= groups <= 2 * subjects, (groups, subjects)


def test_the_pair_distance_is_weighted_by_documents() -> None:
    unit = np.eye(3)[:, :3]
    near = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]])
    # Topics 0 and 1 hold most documents: most document pairs are at distance 1 - 0.8.
    assert np.isclose(document_pair_distance(near, np.array([100, 100, 1]), 0.5), 0.2)
    assert np.isclose(document_pair_distance(near, np.array([1, 1, 100]), 0.5), 0.4)
    assert np.isclose(document_pair_distance(unit, np.ones(3), 0.2), 1.0)
