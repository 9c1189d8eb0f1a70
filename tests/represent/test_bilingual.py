"""Per-language topic words: labels in both languages from the documents' own words."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from scipy import sparse

from topics.represent.bilingual import class_tfidf, language_words

HAN = re.compile(r"[\u3400-\u9fff]")


def test_language_words_split_by_document_language() -> None:
    vocabulary = ["graph", "GNN", "图", "图神经网络", "protein", "蛋白质"]
    counts = np.array(
        [
            [3, 1, 0, 0, 0, 0],  # en, topic 0
            [0, 2, 0, 4, 0, 0],  # zh, topic 0 (keeps the Latin acronym GNN)
            [0, 0, 0, 0, 5, 0],  # en, topic 1
            [0, 0, 0, 0, 0, 2],  # zh, outlier
        ]
    )
    words = language_words(
        sparse.csr_matrix(counts), vocabulary, np.array([0, 0, 1, -1]), ["en", "zh", "en", "zh"], 5
    )
    assert [w for w, _ in words["en"][0]] == ["graph", "GNN"]
    assert [w for w, _ in words["zh"][0]] == ["图神经网络", "GNN"]
    assert [w for w, _ in words["en"][1]] == ["protein"]
    assert 1 not in words["zh"], "a topic without Chinese documents has no Chinese words"
    assert -1 not in words["en"] and -1 not in words["zh"]


def test_class_tfidf_favours_distinctive_terms() -> None:
    counts = sparse.csr_matrix(np.array([[5, 5, 0], [5, 0, 5]]))
    weights = class_tfidf(counts)
    assert weights[0, 1] > weights[0, 0]  # term 1 only in class 0 beats the shared term 0
    assert weights[0, 2] == 0


def test_sample_labels_in_both_languages(sample_run) -> None:
    table = pd.read_csv(sample_run.run_dir / "topics.csv", keep_default_na=False)
    real = table[table["topic"] != -1]
    for row in real.itertuples():
        assert not HAN.search(row.words_en), row.words_en
        assert bool(row.label_en) == (row.share_en > 0)
        assert bool(row.label_zh) == (row.share_zh > 0)
    assert any(row.label_en and row.label_zh for row in real.itertuples())
