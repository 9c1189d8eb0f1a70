"""Seed stability compares the run's labels with refits treated the same way."""

from __future__ import annotations

import numpy as np
import pytest

from topics.crosslingual.policy import align_labels
from topics.evaluate.stability import seed_stability
from topics.types import Corpus


def _pairs_corpus() -> Corpus:
    # a#en translates a#zh, b#en translates b#zh; c is alone.
    return Corpus(
        ids=["a#zh", "b#zh", "a#en", "b#en", "c#en", "d#en"],
        texts=["1", "2", "3", "4", "5", "6"],
        titles=[None] * 6,
        langs=["zh", "zh", "en", "en", "en", "en"],
        sources=[""] * 6,
        duplicate_of=[None, None, "a#zh", "b#zh", None, None],
        translation_duplicates=2,
    )


def test_refits_are_aligned_like_the_run() -> None:
    """Issue 8 #10: aligned labels of the run were compared with unaligned refits."""
    corpus = _pairs_corpus()
    clustered = np.array([0, 1, 2, 1, 2, 0])  # a's sides in two clusters
    run = align_labels(corpus, clustered)
    assert run.tolist() != clustered.tolist()  # the alignment moved a document

    # A refit that finds exactly the same clustering must score 1.
    score = seed_stability(
        run, lambda seed: clustered, [43], finish=lambda labels: align_labels(corpus, labels)
    )

    assert score == 1.0
    assert seed_stability(run, lambda seed: clustered, [43]) < 1.0  # the old comparison


def test_no_refit_seeds_means_no_score() -> None:
    assert seed_stability(np.zeros(3), lambda seed: np.zeros(3), []) is None


def test_refits_get_their_own_seeds() -> None:
    asked: list[int] = []

    def refit(seed: int) -> np.ndarray:
        asked.append(seed)
        return np.array([0, 0, 1, 1])

    assert seed_stability(np.array([0, 0, 1, 1]), refit, [43, 44]) == pytest.approx(1.0)
    assert asked == [43, 44]


def test_topic_stability_is_the_matched_jaccard_averaged_over_refits() -> None:
    from topics.evaluate.stability import topic_stability

    topics = np.array([0, 0, 0, 0, 1, 1, 1, 1, 2, 2])
    clustered = np.array([True] * 8 + [False, True])
    same = np.array([5, 5, 5, 5, 7, 7, 7, 7, -1, 9])
    # Topic 0 split in halves (best match: Jaccard 2/4), topic 1 lost to outliers.
    split = np.array([3, 3, 4, 4, -1, -1, -1, -1, -1, 8])
    assert topic_stability(topics, clustered, [same]) == {0: 1.0, 1: 1.0, 2: 1.0}
    assert topic_stability(topics, clustered, [split]) == {0: 0.5, 1: 0.0, 2: 1.0}
    assert topic_stability(topics, clustered, [same, split]) == {0: 0.75, 1: 0.5, 2: 1.0}
    assert topic_stability(topics, clustered, []) == {}


@pytest.mark.slow
def test_a_run_with_seeds_scores_every_topic(tmp_path) -> None:
    import pandas as pd

    from tests.conftest import make_config
    from topics.pipeline import run_pipeline

    result = run_pipeline(make_config(tmp_path, "run.seeds=3", "output.report=false"))
    table = pd.read_csv(result.run_dir / "topics.csv")
    topics = table[table["topic"] != -1]
    assert topics["stability"].between(0, 1).all() and topics["stability"].notna().all()
    assert table.loc[table["topic"] == -1, "stability"].isna().all()
    # A reseed moves some topics: the scores are not all one value.
    assert topics["stability"].nunique() > 1
