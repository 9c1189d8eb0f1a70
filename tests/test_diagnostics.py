"""The language-split diagnostic: one summary line with the right numbers, detail per topic."""

from __future__ import annotations

import numpy as np
import pandas as pd

from topics.diagnostics import language_split, no_topics_warning
from topics.report.payload import language_notes
from topics.types import Corpus, Topics


def _run(groups: list[tuple[int, str, int]]) -> tuple[Corpus, Topics]:
    """A corpus and topics from ``(topic, lang, count)`` groups."""
    langs, assignments = [], []
    for topic, lang, count in groups:
        langs += [lang] * count
        assignments += [topic] * count
    n = len(langs)
    corpus = Corpus(
        ids=[f"d{i}" for i in range(n)],
        texts=[f"text {i}" for i in range(n)],
        titles=[None] * n,
        langs=langs,
        sources=[""] * n,
    )
    topic_ids = sorted(set(assignments))
    table = pd.DataFrame({"topic": topic_ids, "label": [f"label {t}" for t in topic_ids]})
    return corpus, Topics(
        table=table, words={}, assignments=np.array(assignments), probabilities=np.ones(n)
    )


# 20 documents, 12 zh / 8 en: topic 0 all zh (6), topic 1 all en (5), topic 2 mixed (7),
# topic 3 all zh but too small to judge (2).
GROUPS = [(0, "zh", 6), (1, "en", 5), (2, "zh", 4), (2, "en", 3), (3, "zh", 2)]


def test_counts_topics_and_document_share() -> None:
    corpus, topics = _run(GROUPS)

    split = language_split(corpus, topics, cross_lingual=False)

    assert [(t["topic"], t["lang"], t["size"], t["share"]) for t in split.topics] == [
        (0, "zh", 6, 1.0),
        (1, "en", 5, 1.0),
    ]
    assert (split.topics_total, split.topics_judged) == (4, 3)
    assert (split.documents, split.document_share) == (11, 0.55)
    assert split.corpus_shares == {"zh": 0.6, "en": 0.4}
    assert split.summary == (
        "2 of 4 topics (55% of documents) are ≥95% one language in a corpus that is 60% "
        "Chinese, 40% English: the embedding may be splitting topics by language; for topics "
        "that span languages use embedding.backend: use or distilled."
    )


def test_advice_depends_on_whether_the_embedding_keeps_translations_together() -> None:
    corpus, topics = _run(GROUPS)

    summary = language_split(corpus, topics, cross_lingual=True).summary

    assert summary is not None and "\n" not in summary
    assert "the languages likely hold different subjects" in summary
    assert "embedding.backend: use" not in summary


def test_monolingual_corpus_and_mixed_topics_give_no_warning() -> None:
    english = _run([(0, "en", 10), (1, "en", 9), (1, "zh", 1)])
    mixed = _run([(0, "en", 5), (0, "zh", 5), (1, "zh", 6), (1, "en", 4)])

    assert language_split(*english, cross_lingual=False).summary is None
    split = language_split(*mixed, cross_lingual=False)
    assert split.summary is None and split.topics == []


def test_manifest_detail_feeds_the_topic_panel_notes() -> None:
    corpus, topics = _run(GROUPS)
    detail = language_split(corpus, topics, cross_lingual=False).to_manifest()

    notes = language_notes({"diagnostics": {"language_split": detail}})

    assert set(notes) == {0, 1}
    assert notes[0].startswith(
        "100% of this topic's 6 documents are Chinese in a corpus that is 60% Chinese."
    )


def test_a_run_without_topics_says_why() -> None:
    assert no_topics_warning(3, 299, 400, 400) is None
    assert no_topics_warning(0, 0, 6, "auto") is None
    assert no_topics_warning(0, 299, 400, 400) == (
        "no topics: every one of the 299 documents is an outlier (hdbscan.min_cluster_size=400; "
        "try a smaller value or 'auto', which gives 6 here)."
    )
    assert no_topics_warning(0, 299, 6, "auto") == (
        "no topics: every one of the 299 documents is an outlier (HDBSCAN found no cluster of "
        "6+ similar documents)."
    )
