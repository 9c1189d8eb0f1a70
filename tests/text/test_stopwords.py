"""The shipped stopword lists: coverage, scripts, and what must never be a stopword."""

from __future__ import annotations

import pytest
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from topics.text.stopwords import LIST_NAMES, stopword_list, stopwords, traditional_variants


def test_lists_are_thorough():
    assert len(stopword_list("zh")) >= 1_400  # ~1,200 simplified words plus traditional forms
    assert len(stopword_list("academic_en")) >= 200
    assert len(stopword_list("academic_zh")) >= 200
    # sklearn's list, except the few words that name research subjects (one-letter words are
    # junk anyway).
    missing = {w for w in ENGLISH_STOP_WORDS if len(w) > 1} - stopwords()
    assert missing == {"system", "fire", "interest", "bill", "mill"}


@pytest.mark.parametrize("name", LIST_NAMES)
def test_entries_are_clean(name):
    for word in stopword_list(name):
        assert word == word.strip().lower() and word, (name, word)
        assert "#" not in word and " " not in word, (name, word)


def test_traditional_forms_are_derived():
    assert {"我们", "我們"} <= traditional_variants("我们")
    assert "這些" in stopwords() and "因為" in stopwords() and "結果表明" in stopwords()
    assert traditional_variants("paper") == {"paper"}
    # A character kept as-is in traditional text (若干) keeps its simplified spelling.
    assert "若干" in stopwords()


def test_subject_words_are_not_stopwords():
    stop = stopwords()
    for word in ("模型", "数据", "网络", "学习", "算法", "model", "data", "learning", "system"):
        assert word not in stop


def test_extra_stopwords_are_merged():
    stop = stopwords(["Speech", "语音"])
    assert {"speech", "语音", "語音"} <= stop
    assert "speech" not in stopwords()
