"""Phrase labels (issue 10): phrases found in the text, and a label word giving way to one."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from topics.represent.labels import GroupLabeler, WordFrequencies, label_units
from topics.represent.phrases import document_phrases, phrase_matrix
from topics.represent.tokens import tokenize_corpus
from topics.text.tokenizer import MixedTokenizer


def test_phrases_are_adjacent_tokens_of_the_text() -> None:
    text = "We train Graph Neural Networks for node classification; analysis of variance."
    tokens = MixedTokenizer()(text)
    found = document_phrases(text, tokens)
    assert {"graph neural networks", "graph neural", "neural networks"} <= found
    assert "node classification" in found
    # A stopword or punctuation between two tokens breaks the run.
    assert "networks node" not in found and "classification analysis" not in found
    assert "analysis variance" not in found


def test_chinese_compounds_glue_and_scripts_do_not_mix() -> None:
    text = "我们提出自我监督学习方法,基于BERT模型进行图像分类。"
    tokens = MixedTokenizer()(text)
    found = document_phrases(text, tokens)
    assert all(" " not in phrase for phrase in found)  # Chinese phrases are glued
    assert any(phrase.startswith("自我监督") for phrase in found)
    assert not any("BERT" in phrase for phrase in found)  # no Latin-Han phrase


def test_a_very_long_text_finds_the_phrases_of_its_parts_in_linear_time() -> None:
    """A full paper pasted into the abstract field (corpus.max_chars: null): every phrase of
    each part is found, and the search does not scan the whole text for every token (which
    took over ten minutes on 5 MB; this text is 1 MB and must take seconds)."""
    parts = [
        "We train Graph Neural Networks for node classification; analysis of variance.",
        "我们提出自我监督学习方法,基于BERT模型进行图像分类。",
        "Protein folding with deep residual networks and attention maps.",
    ]
    tokenizer = MixedTokenizer()
    expected = set().union(*(document_phrases(part, tokenizer(part)) for part in parts))
    text = " ".join(parts * 6_000)
    assert len(text) > 950_000
    tokens = tokenizer(text)
    assert document_phrases(text, tokens) == expected
    # The same holds when only some phrases are looked for.
    within = frozenset({"graph neural networks", "graph neural", "自我监督"})
    assert document_phrases(text, tokens, within) == expected & within


def test_phrase_matrix_keeps_phrases_above_the_floor() -> None:
    texts = [
        "graph neural networks learn node embeddings",
        "message passing in graph neural networks",
        "protein folding with deep networks",
    ]
    presence, phrases = phrase_matrix(texts, tokenize_corpus(texts), min_df=2)
    assert "graph neural networks" in phrases and "node embeddings" not in phrases
    column = phrases.index("graph neural networks")
    assert presence[:, column].toarray().ravel().tolist() == [1, 1, 0]


def _frequencies(columns: list[str], counts: list[list[int]], topics: list[int]):
    return WordFrequencies(sparse.csr_matrix(np.array(counts)), columns, np.array(topics))


def test_a_word_gives_way_to_the_phrase_it_stands_in() -> None:
    # Topic 0 = rows 0-3, topic 1 = rows 4-7. "network" appears in every topic-0 document,
    # three of four times inside "graph neural network"; "graph neural" only inside it.
    columns = ["network", "graph", "node", "graph neural", "graph neural network", "protein"]
    counts = [
        [1, 1, 1, 1, 1, 0],
        [1, 1, 1, 1, 1, 0],
        [1, 1, 0, 1, 1, 0],
        [1, 0, 1, 0, 0, 0],
        [0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 1],
    ]
    frequencies = _frequencies(columns, counts, [0, 0, 0, 0, 1, 1, 1, 1])
    words = [("network", 0.9), ("graph", 0.8), ("node", 0.7)]
    phrases = [("graph neural", 0.5), ("graph neural network", 0.4)]
    # The longer phrase keeps all of the shorter one's documents; "graph" is inside it.
    assert label_units(words, phrases, 0, frequencies, 3) == ["graph neural network", "node"]
    # Without phrases: the words.
    assert label_units(words, [], 0, frequencies, 3) == ["network", "graph", "node"]


def test_a_rare_phrase_does_not_replace_its_word() -> None:
    columns = ["network", "graph neural network", "protein"]
    counts = [[1, 1, 0]] + [[1, 0, 0]] * 5 + [[0, 0, 1]] * 6
    frequencies = _frequencies(columns, counts, [0] * 6 + [1] * 6)
    # 1 of 6 documents with "network" has the phrase: below PHRASE_SHARE (0.3).
    units = label_units([("network", 1.0)], [("graph neural network", 1.0)], 0, frequencies, 3)
    assert units == ["network"]


def test_layer_groups_are_labelled_like_topics() -> None:
    """GroupLabeler on any grouping: distinctive units only, the phrase where it stands."""
    texts = (
        ["graph neural networks for node classification tasks"] * 6
        + ["graph neural networks predict molecule properties"] * 6
        + ["protein folding predicted by deep models"] * 6
        + ["protein structure models and folding energy"] * 6
    )
    texts = [f"{text} {i}x" for i, text in enumerate(texts)]  # distinct documents
    joined = tokenize_corpus(texts)
    from topics.represent.tokens import make_vectorizer

    vocabulary = sorted({token for document in joined for token in document.split()})
    document_term = sparse.csr_matrix(make_vectorizer(vocabulary).transform(joined))
    presence, phrases = phrase_matrix(texts, joined, min_df=2)
    labeler = GroupLabeler(
        document_term, vocabulary, presence, phrases, np.array(["en"] * 24), "auto", 3, 10
    )
    found = labeler.label(np.repeat([0, 1], 12))
    assert found.labels[0]["label"].startswith("graph neural networks")
    assert "protein" in found.labels[1]["label"] or "folding" in found.labels[1]["label"]
    assert found.generic_share() == 0.0


@pytest.mark.parametrize("n", [1, 2])
def test_label_units_respect_the_count(n: int) -> None:
    columns = ["alpha", "beta", "gamma", "delta"]
    counts = [[1, 1, 1, 0]] * 3 + [[0, 0, 0, 1]] * 3
    frequencies = _frequencies(columns, counts, [0, 0, 0, 1, 1, 1])
    ranked = [("alpha", 3.0), ("beta", 2.0), ("gamma", 1.0)]
    assert label_units(ranked, [], 0, frequencies, n) == ["alpha", "beta", "gamma"][:n]


def test_candidates_from_a_sample_keep_the_common_phrases(monkeypatch) -> None:
    """Above CANDIDATE_DOCUMENTS, candidates come from a sample; the floor is the corpus's."""
    from topics.represent import phrases as module

    texts = [f"graph neural networks study {i} molecules" for i in range(60)]
    texts += [f"protein folding energy landscape {i}" for i in range(40)]
    texts += ["rare phrase alpha beta once", "rare phrase alpha beta twice"]
    joined = tokenize_corpus(texts)
    full, full_phrases = phrase_matrix(texts, joined, min_df=3)
    monkeypatch.setattr(module, "CANDIDATE_DOCUMENTS", 30)
    sampled, sampled_phrases = module.phrase_matrix(texts, joined, min_df=3)
    assert "graph neural networks" in sampled_phrases and "protein folding" in sampled_phrases
    assert set(sampled_phrases) <= set(full_phrases)
    assert "rare phrase" not in sampled_phrases  # 2 documents: below the floor of 3
    for phrase in sampled_phrases:  # presence is counted on every document, not the sample
        column, reference = sampled_phrases.index(phrase), full_phrases.index(phrase)
        assert (sampled[:, column] != full[:, reference]).nnz == 0
