"""Labels: generic words skipped, one label per language setting, never contradicting itself."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from topics.represent.labels import (
    WordFrequencies,
    combine,
    distinctive,
    generic_share,
    resolve_label_language,
)
from topics.represent.phrases import phrase_matrix
from topics.represent.tokens import tokenize_corpus

VOCABULARY = ["graph", "models", "model", "cell", "数据"]
# Six documents: topic 0 = rows 0-2 (graph), topic 1 = rows 3-5 (cell); "models", "model" and
# "数据" are everywhere.
COUNTS = np.array(
    [
        [2, 1, 1, 0, 1],
        [1, 1, 0, 0, 1],
        [3, 0, 1, 0, 1],
        [0, 1, 1, 2, 1],
        [0, 1, 0, 1, 1],
        [0, 1, 1, 1, 0],
    ]
)
TOPICS = np.array([0, 0, 0, 1, 1, 1])


@pytest.fixture
def frequencies() -> WordFrequencies:
    return WordFrequencies(sparse.csr_matrix(COUNTS), VOCABULARY, TOPICS)


def test_lift_is_in_topic_share_over_corpus_share(frequencies) -> None:
    assert frequencies.lift(0, "graph") == pytest.approx((3 / 3) / (3 / 6))  # 2.0: distinctive
    assert frequencies.lift(0, "models") == pytest.approx((2 / 3) / (5 / 6))  # 0.8: generic
    assert frequencies.lift(1, "数据") == pytest.approx((2 / 3) / (5 / 6))
    assert frequencies.is_generic(0, "models") and not frequencies.is_generic(0, "graph")
    assert not frequencies.is_generic(0, "unknown-word")  # no evidence: not called generic


def test_distinctive_skips_generic_words_and_plurals(frequencies) -> None:
    ranked = [("models", 0.9), ("graph", 0.8), ("model", 0.5), ("数据", 0.4)]
    assert distinctive(ranked, 0, frequencies, 3) == ["graph"]
    # No distinctive word: the best words, a plural next to its singular counted once.
    only_generic = [("models", 0.9), ("model", 0.5), ("数据", 0.4)]
    assert distinctive(only_generic, 0, frequencies, 3) == ["models", "数据"]
    assert distinctive(only_generic, 0, frequencies, 3, fallback=False) == []
    assert generic_share([(0, ["graph", "models"]), (1, ["cell"])], frequencies) == 0.3333
    unknown = [("antibodies", 1.0), ("antibody", 0.9), ("sera", 0.8)]  # no evidence: kept
    assert distinctive(unknown, 0, frequencies, 3) == ["antibodies", "sera"]


def test_label_language_and_combination() -> None:
    assert resolve_label_language("auto", {"zh": 0.6, "en": 0.4}) == "both"
    assert resolve_label_language("auto", {"zh": 0.95, "en": 0.05}) == "zh"
    assert resolve_label_language("auto", {"zh": 0.0, "en": 1.0}) == "en"
    assert resolve_label_language("en", {"zh": 0.9, "en": 0.1}) == "en"
    assert combine("graph · cell", "数据", "both") == "graph · cell / 数据"
    assert combine("", "数据", "both") == "数据"
    assert combine("", "数据", "en") == "数据"  # a topic without English words
    assert combine("graph", "数据", "zh") == "数据"


def test_sample_labels_are_distinctive_and_match_their_parts(sample_run) -> None:
    table = pd.read_csv(sample_run.run_dir / "topics.csv", keep_default_na=False, na_values=[])
    manifest = json.loads((sample_run.run_dir / "manifest.json").read_text("utf-8"))
    topics = sample_run.topics
    # Label units are words or phrases: count both, as the run did.
    joined = tokenize_corpus(sample_run.corpus.texts)
    presence, phrases = phrase_matrix(sample_run.corpus.texts, joined, 2)
    frequencies = WordFrequencies(
        sparse.hstack([topics.document_term, presence], format="csr"),
        topics.vocabulary + phrases,
        topics.assignments,
    )
    units = []
    for record in table[table["topic"] != -1].to_dict("records"):
        parts = str(record["label"]).split(" / ")
        # The sample is 59% Chinese: both languages, each part one of the topic's own labels.
        assert all(part in (record["label_en"], record["label_zh"]) for part in parts)
        units.append((int(record["topic"]), [u for p in parts for u in p.split(" · ")]))
    share = generic_share(units, frequencies)
    assert manifest["metrics"]["generic_label_share"] == share
    assert share <= 0.10  # issue 10 target; the old labels were 44% generic here
