"""The group-by summaries give what a plain loop over topics gives (the former code)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from topics.represent import table as summaries
from topics.represent.bilingual import language_words
from topics.types import Corpus

HAN = re.compile(r"[\u3400-\u9fff]")


def _corpus(n: int, rng: np.random.Generator) -> Corpus:
    langs = rng.choice(["zh", "en", "other"], size=n, p=[0.45, 0.45, 0.1]).tolist()
    return Corpus(
        ids=[f"doc-{i}" for i in range(n)],
        texts=[f"text {i}" for i in range(n)],
        titles=[None] * n,
        langs=langs,
        sources=[f"f:{i}" for i in range(n)],
    )


def _reference_vectors(vectors: np.ndarray, assignments: np.ndarray) -> dict[int, np.ndarray]:
    result = {}
    for topic in sorted(set(assignments.tolist()) - {-1}):
        mean = np.asarray(vectors[assignments == topic].mean(axis=0), dtype=np.float32)
        result[topic] = mean / np.linalg.norm(mean)
    return result


def _reference_representatives(corpus, vectors, assignments, centres):  # noqa: ANN001, ANN202
    norms = np.linalg.norm(vectors, axis=1)
    norms[norms == 0] = 1.0
    result = {}
    for topic, centre in centres.items():
        rows = np.flatnonzero(assignments == topic)
        scores = (vectors[rows] @ centre) / norms[rows]
        result[topic] = [corpus.ids[i] for i in rows[np.argsort(-scores, kind="stable")[:5]]]
    return result


def _reference_language_words(document_term, vocabulary, assignments, langs, top_n):  # noqa: ANN001, ANN202
    result = {"en": {}, "zh": {}}
    langs = np.asarray(langs)
    classes, rows = [], []
    for lang in ("en", "zh"):
        for topic in sorted(set(assignments.tolist()) - {-1}):
            members = np.flatnonzero((assignments == topic) & (langs == lang))
            if len(members):
                classes.append((lang, topic))
                rows.append(np.asarray(document_term[members].sum(axis=0)).ravel())
    counts = np.vstack(rows).astype(np.float64)
    totals = counts.sum(axis=1)
    totals[totals == 0] = 1.0
    frequency = counts.sum(axis=0)
    idf = np.log1p(counts.sum() / counts.shape[0] / np.where(frequency > 0, frequency, 1.0))
    weights = counts / totals[:, None] * idf
    han = np.array([bool(HAN.search(w)) for w in vocabulary])
    for index, (lang, topic) in enumerate(classes):
        scores = weights[index].copy()
        if lang == "en":
            scores[han] = 0.0
        best = np.argsort(-scores, kind="stable")[:top_n]
        result[lang][topic] = [
            (vocabulary[i], round(float(scores[i]), 6)) for i in best if scores[i] > 0
        ]
    return result


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_group_bys_match_loops(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, k = 400, 9
    corpus = _corpus(n, rng)
    assignments = rng.integers(-1, k, size=n)
    assignments[assignments == 4] = 7  # a gap in the topic ids
    vectors = rng.normal(size=(n, 16)).astype(np.float32)

    centres = summaries.topic_vectors(vectors, assignments)
    expected = _reference_vectors(vectors, assignments)
    assert sorted(centres) == sorted(expected)
    for topic in expected:
        np.testing.assert_allclose(centres[topic], expected[topic], rtol=0, atol=2e-6)

    # Rank against the same centres so that only the ranking code is compared.
    assert summaries.representative_ids(
        corpus, vectors, assignments, expected
    ) == _reference_representatives(corpus, vectors, assignments, expected)

    vocabulary = [f"w{i}" for i in range(30)] + [f"词{i}" for i in range(10)]
    counts = sparse.random(n, len(vocabulary), density=0.1, random_state=seed, format="csr")
    counts.data = np.ceil(counts.data * 4)
    args = (counts, vocabulary, assignments, corpus.langs, 6)
    assert language_words(*args) == _reference_language_words(*args)


def test_topic_table_counts_and_shares() -> None:
    rng = np.random.default_rng(3)
    corpus = _corpus(200, rng)
    assignments = rng.integers(-1, 5, size=200)
    words = {t: [(f"w{t}{j}", 1.0 - j / 10) for j in range(6)] for t in range(-1, 5)}
    table = summaries.topic_table(corpus, assignments, words, {}, label_words=2, top_n=3)
    langs = np.asarray(corpus.langs)
    assert table["topic"].tolist() == sorted(set(assignments.tolist()))
    for row in table.itertuples():
        members = assignments == row.topic
        assert row.size == members.sum()
        assert row.share_zh == round(float((langs[members] == "zh").mean()), 4)
        assert row.share_en == round(float((langs[members] == "en").mean()), 4)
        if row.topic == -1:
            assert row.label == "Outliers"
        else:
            assert row.label == f"w{row.topic}0 · w{row.topic}1"
            assert row.words == " | ".join(f"w{row.topic}{j}" for j in range(3))
    assert isinstance(table, pd.DataFrame)


def test_representatives_keep_corpus_order_on_ties() -> None:
    corpus = _corpus(8, np.random.default_rng(0))
    vectors = np.tile(np.array([[1.0, 0.0]], dtype=np.float32), (8, 1))
    assignments = np.array([0, 1, 0, 0, 1, 0, 0, 0])
    centres = summaries.topic_vectors(vectors, assignments)
    ranked = summaries.representative_ids(corpus, vectors, assignments, centres)
    assert ranked == {0: ["doc-0", "doc-2", "doc-3", "doc-5", "doc-6"], 1: ["doc-1", "doc-4"]}


@pytest.mark.parametrize("binary", [False, True])
def test_group_sums_block_by_block_equal_the_indicator_product(binary: bool, monkeypatch) -> None:
    monkeypatch.setattr(summaries, "_BLOCK", 2)  # blocks of 8 rows: several per matrix
    rng = np.random.default_rng(3)
    matrix = sparse.random(30, 12, density=0.3, format="csr", random_state=3) * 5
    groups = rng.integers(-1, 4, size=30)
    keep = groups != -1
    values, sums = summaries.group_sums(matrix, groups, keep=keep, binary=binary)
    counted = matrix.copy()
    if binary:
        counted.data[:] = 1.0
    expected_values, indicator = summaries.group_indicator(groups[keep])
    np.testing.assert_array_equal(values, expected_values)
    np.testing.assert_allclose(sums.toarray(), (indicator @ counted[keep]).toarray())
