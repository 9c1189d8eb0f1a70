"""Topic labels a reader can trust: distinctive words only, in the corpus's language(s).

*Generic* label units (issue 10): a word whose document frequency inside the topic is less than
twice its document frequency in the whole corpus does not tell the topic apart ("models",
"learning", "数据" on the shipped sample: 44% of its label words were generic). Labels are built
from the topic's ranked words with the generic ones skipped (the ``words`` columns keep every
word); a topic with no distinctive word keeps its best words.

``topics.label_language``: ``en`` / ``zh`` label in one language (the other when a topic has
no word in it), ``both`` renders ``en label / zh label``, and ``auto`` is ``both`` when each
language holds at least 10% of the corpus, else the majority language. The ``label`` of a topic
therefore never contradicts its own ``label_en`` / ``label_zh``.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

#: A label word's in-topic document frequency must reach this multiple of its corpus frequency.
DISTINCTIVE_RATIO = 2.0
#: ``auto`` labels in both languages when each holds at least this share of the corpus.
BOTH_LANGUAGES_SHARE = 0.10


class WordFrequencies:
    """Document frequencies of every vocabulary word, per topic and in the whole corpus.

    Parameters
    ----------
    document_term:
        ``(documents, words)`` counts on the run's tokenization.
    vocabulary:
        Column names of ``document_term``.
    assignments:
        Final topic per document.
    """

    def __init__(
        self, document_term: sparse.spmatrix, vocabulary: list[str], assignments: np.ndarray
    ) -> None:
        from topics.represent.table import group_indicator

        present = sparse.csr_matrix(document_term, dtype=np.float64)
        present.data[:] = 1.0
        self.column = {word: index for index, word in enumerate(vocabulary)}
        topics, indicator = group_indicator(np.asarray(assignments, dtype=np.int64))
        self.row = {int(t): i for i, t in enumerate(topics)}
        self.sizes = np.asarray(indicator.sum(axis=1)).ravel()
        self.in_topic = (indicator @ present).tocsr()
        self.corpus_share = np.asarray(present.sum(axis=0)).ravel() / max(present.shape[0], 1)

    def lift(self, topic: int, word: str) -> float:
        """In-topic document share over corpus share (``nan`` for an unknown word or topic)."""
        column, row = self.column.get(word), self.row.get(int(topic))
        if column is None or row is None or self.corpus_share[column] == 0:
            return float("nan")
        share = self.in_topic[row, column] / max(self.sizes[row], 1)
        return float(share / self.corpus_share[column])

    def is_generic(self, topic: int, word: str) -> bool:
        """Whether ``word`` fails to tell ``topic`` apart (see the module docstring)."""
        lift = self.lift(topic, word)
        return bool(lift == lift and lift < DISTINCTIVE_RATIO)


def distinctive(
    words: list[tuple[str, float]],
    topic: int,
    frequencies: WordFrequencies,
    n: int,
    fallback: bool = True,
) -> list[str]:
    """The first ``n`` non-generic words (with ``fallback``, the best words when none is).

    A plural next to its singular ("model"/"models", "antibody"/"antibodies") is one unit: only
    the first is kept.
    """
    kept = [word for word, _ in words if not frequencies.is_generic(topic, word)]
    if not kept and fallback:
        kept = [word for word, _ in words]
    chosen: list[str] = []
    seen: set[str] = set()
    for word in kept:
        stem = _singular(word.lower())
        if stem in seen:
            continue
        seen.add(stem)
        chosen.append(word)
    return chosen[:n]


def _singular(word: str) -> str:
    """A crude English singular, enough to count "antibodies"/"antibody" as one label unit."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    return word.removesuffix("s")


def resolve_label_language(setting: str, shares: dict[str, float]) -> str:
    """``en``, ``zh`` or ``both`` for ``topics.label_language`` on a corpus with ``shares``."""
    if setting != "auto":
        return setting
    zh, en = shares.get("zh", 0.0), shares.get("en", 0.0)
    if zh >= BOTH_LANGUAGES_SHARE and en >= BOTH_LANGUAGES_SHARE:
        return "both"
    return "zh" if zh > en else "en"


def combine(label_en: str, label_zh: str, language: str) -> str:
    """The ``label`` shown for a topic from its per-language labels."""
    if language == "both":
        return " / ".join(part for part in (label_en, label_zh) if part)
    first, second = (label_zh, label_en) if language == "zh" else (label_en, label_zh)
    return first or second


def generic_share(labels: list[tuple[int, list[str]]], frequencies: WordFrequencies) -> float:
    """Share of label units that are generic, over ``(topic, units)`` pairs (0 when none)."""
    units = [(topic, word) for topic, words in labels for word in words]
    if not units:
        return 0.0
    return round(sum(frequencies.is_generic(t, w) for t, w in units) / len(units), 4)
