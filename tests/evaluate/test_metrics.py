"""Topic-run metrics against hand-computed toy cases and their defining properties."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from scipy import sparse

from topics.evaluate import (
    evaluate,
    label_agreement,
    label_hygiene,
    npmi_coherence,
    outlier_share,
    pairwise_ari,
    size_balance,
    topic_diversity,
)
from topics.text import stopwords

# Toy corpus: 4 documents over the vocabulary ant bee cat dog eel (eel occurs
# nowhere); below a b c d stand for ant bee cat dog.
#   doc0: a b      doc1: a b c (a twice)      doc2: a      doc3: c d
VOCABULARY = ["ant", "bee", "cat", "dog", "eel"]
DOC_TERM = sparse.csr_matrix(
    np.array(
        [
            [1, 1, 0, 0, 0],
            [2, 1, 1, 0, 0],
            [1, 0, 0, 0, 0],
            [0, 0, 1, 1, 0],
        ]
    )
)
# P(a)=3/4, P(b)=1/2, P(c)=1/2, P(d)=1/4 (documents containing the word, counts ignored).
# NPMI(a,b): P(a,b)=2/4 -> log(0.5/(0.75*0.5)) / -log(0.5) = log(4/3)/log(2) = 0.4150375
# NPMI(a,c): P(a,c)=1/4 -> log(0.25/(0.75*0.5)) / -log(0.25) = log(2/3)/log(4) = -0.2924813
# NPMI(b,c): P(b,c)=1/4 -> log(0.25/(0.5*0.5)) / -log(0.25) = 0/log(4) = 0
# NPMI(c,d): P(c,d)=1/4 -> log(0.25/(0.5*0.25)) / -log(0.25) = log(2)/log(4) = 0.5
# NPMI(a,d): P(a,d)=0 -> -1 by convention
TOPIC_WORDS = {
    -1: ["ant", "bee"],  # outliers: never scored
    0: ["ant", "bee", "cat"],  # (0.4150375 - 0.2924813 + 0) / 3 = 0.0408521
    1: ["ant", "zzz", "bee"],  # unknown word skipped -> NPMI(a,b) = 0.4150375
    2: ["bee", "zzz", "eel"],  # one usable word (eel occurs nowhere) -> nan, left out of the mean
    3: ["ant", "dog"],  # -1
    4: ["cat", "dog", "ant"],  # top_n=2 keeps c,d -> 0.5
}
NPMI_AB = 0.4150375
NPMI_AC = -0.2924813


def test_npmi_matches_hand_computation():
    mean, per_topic = npmi_coherence(DOC_TERM, VOCABULARY, TOPIC_WORDS, top_n=2)
    # top_n=2: topic 0 -> (a,b); topic 1 -> a only (zzz skipped, not replaced) -> nan.
    assert per_topic[0] == pytest.approx(NPMI_AB, abs=1e-6)
    assert math.isnan(per_topic[1]) and math.isnan(per_topic[2])
    assert per_topic[3] == -1.0
    assert per_topic[4] == pytest.approx(0.5, abs=1e-6)
    assert -1 not in per_topic
    assert mean == pytest.approx((NPMI_AB - 1.0 + 0.5) / 3, abs=1e-6)

    mean, per_topic = npmi_coherence(DOC_TERM, VOCABULARY, TOPIC_WORDS, top_n=3)
    assert per_topic[0] == pytest.approx((NPMI_AB + NPMI_AC + 0.0) / 3, abs=1e-6)
    assert per_topic[1] == pytest.approx(NPMI_AB, abs=1e-6)
    assert per_topic[4] == pytest.approx((0.5 + NPMI_AC - 1.0) / 3, abs=1e-6)  # cd, ca, da
    expected = [(NPMI_AB + NPMI_AC) / 3, NPMI_AB, -1.0, (0.5 + NPMI_AC - 1.0) / 3]
    assert mean == pytest.approx(sum(expected) / 4, abs=1e-6)


def test_npmi_accepts_vocabulary_mapping_and_edge_cases():
    mapping = {word: column for column, word in enumerate(VOCABULARY)}
    assert npmi_coherence(DOC_TERM, mapping, TOPIC_WORDS)[1] == pytest.approx(
        npmi_coherence(DOC_TERM, VOCABULARY, TOPIC_WORDS)[1], nan_ok=True
    )
    mean, per_topic = npmi_coherence(DOC_TERM, VOCABULARY, {0: ["zzz"], -1: ["ant", "bee"]})
    assert math.isnan(mean) and math.isnan(per_topic[0])
    # Two words present in every document co-occur perfectly.
    everywhere = sparse.csr_matrix(np.ones((3, 2)))
    assert npmi_coherence(everywhere, ["x", "y"], {0: ["x", "y"]})[0] == 1.0


def test_npmi_vectorised_equals_pairwise_definition():
    rng = np.random.default_rng(7)
    counts = rng.poisson(0.3, size=(300, 40)) * (rng.random((300, 40)) < 0.5)
    doc_term = sparse.csr_matrix(counts)
    vocabulary = [f"w{i}" for i in range(40)]
    topics = {t: [f"w{i}" for i in rng.choice(40, size=8, replace=False)] for t in range(6)}
    _, per_topic = npmi_coherence(doc_term, vocabulary, topics, top_n=8)
    present = counts > 0
    for topic, words in topics.items():
        columns = [int(w[1:]) for w in words if present[:, int(w[1:])].any()]
        values = []
        for i, j in itertools.combinations(columns, 2):
            p_i, p_j = present[:, i].mean(), present[:, j].mean()
            p_ij = (present[:, i] & present[:, j]).mean()
            values.append(-1.0 if p_ij == 0 else math.log(p_ij / (p_i * p_j)) / -math.log(p_ij))
        assert per_topic[topic] == pytest.approx(np.mean(values), abs=1e-9)


def test_topic_diversity():
    words = {0: ["a", "b"], 1: ["b", "c"], 2: ["d", "e"], -1: ["a", "a"]}
    assert topic_diversity(words) == pytest.approx(5 / 6)  # a b c d e out of 6 words
    assert topic_diversity(words, top_n=1) == 1.0  # a, b, d
    assert topic_diversity({0: ["x", "y"], 1: ["x", "y"]}) == 0.5
    assert math.isnan(topic_diversity({-1: ["a"]}))


def test_outlier_share_and_size_balance():
    assert outlier_share([0, -1, 1, -1]) == 0.5
    assert math.isnan(outlier_share([]))
    assert size_balance([0, 0, 1, 1, -1, -1, -1]) == pytest.approx(1.0)
    # sizes 3 and 1: -(.75 ln .75 + .25 ln .25) / ln 2 = 0.5623351 / 0.6931472 = 0.8112781
    assert size_balance([0, 0, 0, 1, -1]) == pytest.approx(0.8112781, abs=1e-6)
    assert math.isnan(size_balance([0, 0, -1]))


def test_label_agreement_perfect_and_random():
    labels = ["x", "x", "y", "y", "z", "z", None, float("nan")]
    topics = [5, 5, 3, 3, -1, -1, 3, 5]  # unlabelled documents are ignored
    perfect = label_agreement(labels, topics)
    assert perfect == pytest.approx(
        {"nmi_all": 1.0, "ari_all": 1.0, "nmi_assigned": 1.0, "ari_assigned": 1.0}
    )
    # Outliers are one more cluster in *_all: splitting class z off as -1 costs nothing there,
    # but mixing it with x does.
    mixed = label_agreement(labels, [5, 5, 3, 3, 5, 5, 0, 0])
    assert mixed["nmi_all"] < 1.0 and mixed["nmi_assigned"] < 1.0

    rng = np.random.default_rng(0)
    random = label_agreement(list(rng.integers(0, 5, 3000)), rng.integers(-1, 5, 3000))
    assert abs(random["ari_all"]) < 0.02 and random["nmi_all"] < 0.02
    assert abs(random["ari_assigned"]) < 0.02 and random["nmi_assigned"] < 0.02

    # Labels compare as text: 2 and "2" are one class.
    assert label_agreement([2, "2", "cs.LG", "cs.LG"], [0, 0, 1, 1])["nmi_all"] == 1.0

    nothing = label_agreement([None, None], [0, 1])
    assert all(math.isnan(value) for value in nothing.values())
    with pytest.raises(ValueError):
        label_agreement(["x"], [0, 1])


def test_label_hygiene_catches_junk():
    stop = stopwords()
    words = {
        0: ["BERT", "the", "2019", "模型"],
        1: ["，", "learning", "rare", "8%"],
        -1: ["the", "of"],  # outliers are not checked
    }
    frequency = {"BERT": 5, "the": 9, "2019": 4, "模型": 6, "，": 9, "learning": 7, "rare": 1}
    # junk: the (stopword), 2019 (number), "，" (punctuation), rare (df 1 < 2), 8% (number)
    assert label_hygiene(words, stop, frequency, min_df=2) == pytest.approx(5 / 8)
    assert label_hygiene(words, stop, lambda w: 10, min_df=2) == pytest.approx(4 / 8)
    clean = {0: ["BERT", "模型"], 1: ["learning", "transformer"]}
    assert label_hygiene(clean, stop, lambda w: 3, min_df=2) == 0.0


def test_pairwise_ari():
    run = [0, 0, 1, 1, 2, -1]
    assert pairwise_ari([run, run, run]) == 1.0
    assert pairwise_ari([run, [7, 7, 3, 3, 9, 4]]) == 1.0  # same partition, other numbering
    assert pairwise_ari([run, run, [0, 1, 0, 1, 2, 2]]) < 1.0
    assert math.isnan(pairwise_ari([run]))
    with pytest.raises(ValueError):
        pairwise_ari([run, run[:-1]])


def test_evaluate_is_flat_json():
    assignments = [0, 0, 1, 3]
    scores = evaluate(
        DOC_TERM,
        VOCABULARY,
        TOPIC_WORDS,
        assignments,
        labels=["p", "p", "q", None],
        min_df=2,
    )
    json.dumps(scores, allow_nan=False)  # undefined values are None, never NaN
    assert set(scores) == {
        "npmi",
        "diversity",
        "outlier_share",
        "topics",
        "size_balance",
        "hygiene",
        "nmi_all",
        "ari_all",
        "nmi_assigned",
        "ari_assigned",
    }
    assert scores["topics"] == 3 and scores["outlier_share"] == 0.0
    assert scores["npmi"] == pytest.approx(npmi_coherence(DOC_TERM, VOCABULARY, TOPIC_WORDS)[0])
    # Topic words, outliers excluded: a b c | a zzz b | b zzz e | a d | c d a -> 14 words;
    # df < 2: zzz (0) twice, e (0), d (1) twice -> 5 junk.
    assert scores["hygiene"] == pytest.approx(5 / 14)
    assert scores["nmi_all"] == pytest.approx(1.0)
    unlabelled = evaluate(DOC_TERM, VOCABULARY, {0: ["ant", "bee"]}, [0, 0, 0, -1])
    assert "nmi_all" not in unlabelled and unlabelled["size_balance"] is None
    # A run fitted on a core counts the core's terms only: word statistics come from the
    # counts, topic statistics from every document's assignment.
    wider = evaluate(DOC_TERM, VOCABULARY, TOPIC_WORDS, [*assignments, -1, -1, -1, -1], min_df=2)
    assert wider["npmi"] == pytest.approx(scores["npmi"])
    assert wider["hygiene"] == pytest.approx(scores["hygiene"])
    assert wider["outlier_share"] == pytest.approx(4 / 8) and wider["topics"] == 3
