"""Phrases for labels: runs of two or three words that stand together in the abstracts.

A topic about graph learning ranks "graph", "node" and "network" high; a person writes "graph
neural network". Candidates come from the run's own tokens (no second tokenizer pass): two or
three consecutive kept tokens of a document form a phrase when they also stand next to each
other in its text — ``"graph neural network"`` in the (case-folded) abstract for English,
``"神经" + "网络"`` written without a break for Chinese (jieba's splits of a compound are glued
back). A stopword, number or punctuation between two tokens breaks the run, so "analysis of
variance" gives no "analysis variance".

Phrases pass the same document-frequency floor as words and are ranked per language and topic
by the same c-TF-IDF (:func:`topics.represent.bilingual.language_words`). Labels use them in
:func:`topics.represent.labels.label_units`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

from topics.engine import LOCAL, Engine, partition_bounds
from topics.text.han import HAN

#: Longest phrase, in tokens.
MAX_PHRASE_TOKENS = 3
#: Separator between a document's phrases (phrases themselves contain spaces).
SEPARATOR = "\t"


def _split_phrases(joined: str) -> list[str]:
    """Analyzer for :data:`SEPARATOR`-joined phrases (picklable, unlike a lambda)."""
    return [phrase for phrase in joined.split(SEPARATOR) if phrase]


def _join(tokens: Sequence[str]) -> str:
    """Han tokens glue without a space (神经 + 网络 → 神经网络); Latin ones take one."""
    if all(HAN.match(token[0]) for token in tokens):
        return "".join(tokens)
    return " ".join(tokens)


def document_phrases(text: str, tokens: Sequence[str]) -> set[str]:
    """The phrases of one document: consecutive tokens that are also adjacent in ``text``.

    Parameters
    ----------
    text:
        The document as read (only searched, case-insensitively for Latin tokens).
    tokens:
        Its kept tokens in reading order (:class:`topics.text.tokenizer.MixedTokenizer`).
    """
    folded = text.lower()
    found: set[str] = set()
    for start in range(len(tokens) - 1):
        for length in range(2, MAX_PHRASE_TOKENS + 1):
            run = tokens[start : start + length]
            if len(run) < length:
                break
            han = [bool(HAN.match(token[0])) for token in run]
            if any(han) and not all(han):
                break  # a phrase stays in one script
            phrase = _join(run)
            if phrase.lower() not in folded:
                break  # not adjacent in the text: no longer run from here is either
            found.add(phrase)
    return found


def phrase_partition(partition: tuple[list[str], list[str]]) -> list[str]:
    """Each document's phrases, :data:`SEPARATOR`-joined (an engine task)."""
    texts, joined = partition
    return [
        SEPARATOR.join(sorted(document_phrases(text, tokens.split())))
        for text, tokens in zip(texts, joined, strict=True)
    ]


def phrase_matrix(
    texts: Sequence[str], joined: Sequence[str], min_df: int, engine: Engine = LOCAL
) -> tuple[sparse.csr_matrix, list[str]]:
    """``(documents × phrases presence, phrases)`` for phrases in at least ``min_df`` documents.

    Parameters
    ----------
    texts, joined:
        The documents and their space-joined tokens, rows aligned.
    min_df:
        The document-frequency floor of the run's words (``topics.min_df`` resolved).
    engine:
        Runs the phrase search over partitions.
    """
    bounds = partition_bounds(len(texts), engine.section.partition_size)
    partitions = [(list(texts[a:b]), list(joined[a:b])) for a, b in bounds]
    rows = [row for part in engine.map(phrase_partition, partitions) for row in part]
    counter = CountVectorizer(
        analyzer=_split_phrases, lowercase=False, min_df=max(2, min_df), binary=True
    )
    try:
        matrix = counter.fit_transform(rows)
    except ValueError:  # no phrase reaches the floor (tiny or one-word corpora)
        return sparse.csr_matrix((len(rows), 0), dtype=np.int64), []
    return sparse.csr_matrix(matrix), counter.get_feature_names_out().tolist()
