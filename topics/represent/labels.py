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

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from topics.common import is_both_languages
from topics.text.han import HAN as _HAN

#: A label word's in-topic document frequency must reach this multiple of its corpus frequency.
DISTINCTIVE_RATIO = 2.0
#: A phrase stands for a label word when this share of the topic's documents with the word
#: have the phrase. Chinese compounds need more: jieba already joins most Chinese terms, and two
#: adjacent words that are not one term are common ("患者随机" of "患者随机分为两组").
PHRASE_SHARE = {"en": 0.3, "zh": 0.5}
#: A longer phrase replaces the shorter one it extends when it keeps this share of its documents.
LONGER_PHRASE_SHARE = 0.6
#: Phrases ranked per group and language, among which a label word may find its phrase.
PHRASE_CANDIDATES = 30


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
        self,
        document_term: sparse.spmatrix | list[sparse.spmatrix],
        vocabulary: list[str],
        assignments: np.ndarray,
    ) -> None:
        from topics.represent.table import group_sums

        # Several blocks (words, phrases) are counted one by one: no stacked copy of them.
        blocks = document_term if isinstance(document_term, list) else [document_term]
        assignments = np.asarray(assignments, dtype=np.int64)
        sums = [group_sums(block, assignments, binary=True) for block in blocks]
        topics = sums[0][0]
        self.column = {word: index for index, word in enumerate(vocabulary)}
        self.row = {int(t): i for i, t in enumerate(topics)}
        self.sizes = np.unique(assignments, return_counts=True)[1].astype(np.float64)
        self.in_topic_counts = sparse.hstack([counts for _, counts in sums], format="csr")
        self._row_counts: dict[int, dict[int, float]] = {}
        n_documents = max(assignments.shape[0], 1)
        self.corpus_share = np.asarray(self.in_topic_counts.sum(axis=0)).ravel() / n_documents

    def _counts(self, row: int) -> dict[int, float]:
        counts = self._row_counts.get(row)
        if counts is None:
            start, stop = self.in_topic_counts.indptr[row : row + 2]
            counts = dict(
                zip(
                    self.in_topic_counts.indices[start:stop].tolist(),
                    self.in_topic_counts.data[start:stop].tolist(),
                    strict=True,
                )
            )
            self._row_counts[row] = counts
        return counts

    def lift(self, topic: int, word: str) -> float:
        """In-topic document share over corpus share (``nan`` for an unknown word or topic)."""
        column, row = self.column.get(word), self.row.get(int(topic))
        if column is None or row is None or self.corpus_share[column] == 0:
            return float("nan")
        share = self._counts(row).get(column, 0.0) / max(self.sizes[row], 1)
        return float(share / self.corpus_share[column])

    def in_topic(self, topic: int, word: str) -> int:
        """Documents of ``topic`` that contain ``word`` (0 for an unknown word or topic)."""
        column, row = self.column.get(word), self.row.get(int(topic))
        if column is None or row is None:
            return 0
        return int(self._counts(row).get(column, 0.0))

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
        stem = singular(word.lower())
        if stem in seen:
            continue
        seen.add(stem)
        chosen.append(word)
    return chosen[:n]


def label_units(
    words: list[tuple[str, float]],
    phrases: list[tuple[str, float]],
    topic: int,
    frequencies: WordFrequencies,
    n: int,
    fallback: bool = True,
) -> list[str]:
    """The ``n`` units of a label: each distinctive word, or the phrase it usually stands in.

    Words are taken in rank order (:func:`distinctive`). A word is replaced by the
    non-generic phrase containing it that most of the topic's documents use, when at least
    :data:`PHRASE_SHARE` of the topic's documents with the word have that phrase ("network"
    → "graph neural network"); a longer phrase wins over the shorter one it extends when it
    keeps :data:`LONGER_PHRASE_SHARE` of its documents ("graph neural" → "graph neural
    network"). Words already inside a chosen phrase are not repeated.
    """
    ranked = distinctive(words, topic, frequencies, len(words), fallback)
    candidates = [p for p, _ in phrases if not frequencies.is_generic(topic, p)]
    chosen: list[str] = []
    covered: set[str] = set()
    for word in ranked:
        if singular(word.lower()) in covered:
            continue
        share = PHRASE_SHARE["zh" if _HAN.match(word[0]) else "en"]
        floor = share * frequencies.in_topic(topic, word)
        holding = [p for p in candidates if contains(p, word)]
        holding = [p for p in holding if frequencies.in_topic(topic, p) >= max(floor, 1)]
        unit = word
        if holding:
            unit = max(holding, key=lambda p: (frequencies.in_topic(topic, p), -len(p)))
            keep = LONGER_PHRASE_SHARE * frequencies.in_topic(topic, unit)
            longer = [p for p in holding if p != unit and contains(p, unit)]
            longer = [p for p in longer if frequencies.in_topic(topic, p) >= keep]
            if longer:
                unit = max(longer, key=lambda p: (frequencies.in_topic(topic, p), len(p)))
        if unit in chosen or any(contains(other, unit) for other in chosen):
            continue
        chosen = [other for other in chosen if not contains(unit, other)]
        chosen.append(unit)
        covered.update(singular(part.lower()) for part in _parts(unit))
        if len(chosen) == n:
            break
    return chosen


def _parts(unit: str) -> list[str]:
    """The words of a unit (a glued Chinese phrase counts as one part)."""
    return unit.split(" ")


def contains(phrase: str, unit: str) -> bool:
    """Whether ``unit`` (a word or phrase) is inside ``phrase`` at word boundaries."""
    if phrase == unit:
        return False
    if " " in phrase or " " in unit:
        return f" {unit} " in f" {phrase} "
    return unit in phrase and bool(_HAN.match(phrase[0]))  # glued Chinese compound


def singular(word: str) -> str:
    """A crude English singular, enough to count "antibodies"/"antibody" as one label unit."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    return word.removesuffix("s")


def resolve_label_language(setting: str, shares: dict[str, float]) -> str:
    """``en``, ``zh`` or ``both`` for ``topics.label_language`` on a corpus with ``shares``."""
    if setting != "auto":
        return setting
    if is_both_languages(shares):  # topics.common: one rule with the lexical block's
        return "both"
    return "zh" if shares.get("zh", 0.0) > shares.get("en", 0.0) else "en"


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


class GroupLabeler:
    """Labels for any grouping of the documents — fine topics or a layer's groups — made alike.

    Parameters
    ----------
    document_term, vocabulary:
        Token counts of every document and their column names.
    presence, phrases:
        Phrase presence of every document and the phrases (:mod:`topics.represent.phrases`).
    langs:
        Language tag per document.
    label_language:
        ``topics.label_language`` (``auto`` is resolved here from the corpus's languages).
    label_words, top_n:
        Units per label; words ranked per group and language.
    rows:
        The documents (rows of the corpus) these matrices hold; ``None``: every document. A run
        fitted on a core counts the core's terms only, and labels are made from them: groups
        are given for every document and narrowed to these rows here.
    """

    def __init__(
        self,
        document_term: sparse.spmatrix,
        vocabulary: list[str],
        presence: sparse.spmatrix,
        phrases: list[str],
        langs: np.ndarray,
        label_language: str,
        label_words: int,
        top_n: int,
        rows: np.ndarray | None = None,
    ) -> None:
        self.rows = None if rows is None else np.asarray(rows)
        self.document_term, self.vocabulary = document_term, vocabulary
        self.presence, self.phrases = presence, phrases
        self.langs = np.asarray(langs)
        shares = {
            lang: float((self.langs == lang).mean()) if len(self.langs) else 0.0
            for lang in ("zh", "en")
        }
        self.language = resolve_label_language(label_language, shares)
        self.label_words, self.top_n = label_words, top_n

    def counted(self, groups: np.ndarray) -> np.ndarray:
        """The group of each counted document, from the group of every document."""
        groups = np.asarray(groups, dtype=np.int64)
        return groups if self.rows is None else groups[self.rows]

    def label(
        self, groups: np.ndarray, fallback: dict[int, list[tuple[str, float]]] | None = None
    ) -> GroupLabels:
        """Labels of every group in ``groups`` (one per document; ``-1`` = outliers, not labelled).

        ``label_en`` / ``label_zh`` come from the group's documents in that language; ``label``
        is made of them (``both``: ``en / zh``), so it never contradicts them; a side without
        one distinctive unit is left out of ``label`` rather than filled with generic words.
        ``fallback`` (e.g. BERTopic's words) labels a group that has neither.
        """
        from topics.represent.bilingual import language_words

        groups = self.counted(groups)
        words = language_words(self.document_term, self.vocabulary, groups, self.langs, self.top_n)
        phrases = language_words(self.presence, self.phrases, groups, self.langs, PHRASE_CANDIDATES)
        frequencies = WordFrequencies(
            [self.document_term, self.presence],
            list(self.vocabulary) + list(self.phrases),
            groups,
        )
        side = max(2, self.label_words - 1) if self.language == "both" else self.label_words

        def units(lang: str, group: int, strict: bool) -> str:
            ranked = words.get(lang, {}).get(group, [])
            candidates = phrases.get(lang, {}).get(group, [])
            return " · ".join(label_units(ranked, candidates, group, frequencies, side, not strict))

        labels: dict[int, dict[str, str]] = {}
        for group in np.unique(groups[groups != -1]).tolist():
            label_en, label_zh = units("en", group, False), units("zh", group, False)
            label = (
                combine(units("en", group, True), units("zh", group, True), self.language)
                or combine(label_en, label_zh, self.language)
                or " · ".join(
                    label_units((fallback or {}).get(group, []), [], group, frequencies, side)
                )
            )
            labels[group] = {"label": label, "label_en": label_en, "label_zh": label_zh}
        return GroupLabels(labels, words, frequencies, phrases)


@dataclass(frozen=True)
class GroupLabels:
    """What :meth:`GroupLabeler.label` found.

    Attributes
    ----------
    labels:
        ``{group: {"label", "label_en", "label_zh"}}``.
    words:
        ``{lang: {group: [(word, score), ...]}}``, c-TF-IDF of the group's documents in that
        language.
    frequencies:
        Document frequencies of words and phrases per group (for :func:`generic_share`).
    phrases:
        ``{lang: {group: [(phrase, score), ...]}}``, the phrases ranked like ``words``.
    """

    labels: dict[int, dict[str, str]]
    words: dict[str, dict[int, list[tuple[str, float]]]]
    frequencies: WordFrequencies
    phrases: dict[str, dict[int, list[tuple[str, float]]]] = field(default_factory=dict)

    def generic_share(self) -> float:
        """Share of the ``label`` units that are generic (0 when there are none)."""
        units = [
            (group, [u for part in row["label"].split(" / ") for u in part.split(" · ") if u])
            for group, row in self.labels.items()
        ]
        return generic_share(units, self.frequencies)
