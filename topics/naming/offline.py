"""Offline topic names: a short phrase per language, picked from the topic's own words.

A label lists two or three distinctive units ("left ventricular · pulmonary artery · pressure");
a name is what a person would write above them ("Pulmonary artery pressure"). Without a
language model the name can only be made of the documents' own words, so it is *chosen*, not
written:

- **candidates** per group and language: the label's units, the group's distinctive phrases
  (adjacent-word runs, :mod:`topics.represent.phrases`) and words, each 1–5 words, found in at
  least :data:`MIN_DOCUMENTS` of the group's documents; a coarser group also gets its children's
  names and any head word two of its children share ("cancer" over "breast cancer" and "lung
  cancer"), so a group's name may generalise its children's;
- **ranking** with the run's own embedder: a candidate scores its cosine to the group's mean
  vector plus its margin over the nearest other group of the same layer (a name must say what
  this topic is about *and* not what its neighbour is about); the two best single candidates
  that share no word may also be joined ("aortic valve and mitral valve" is not, "Mitral valve
  and Doppler echocardiography" is);
- **one head word per name in a layer**: names are handed out greedily, best score first, and a
  name whose head word (an English phrase's last word, singular; a Chinese phrase's last
  segment) another name of the layer already holds is passed over for the group's next best —
  so two topics are never both "… cancer" unless one has no other candidate.

Chinese names hold only Han characters and English names none (a Latin acronym inside Chinese
text stays in the keywords).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from topics.represent.labels import GroupLabels, contains, singular
from topics.text.han import HAN

#: Longest name, in words (a Chinese name counts its segments).
MAX_NAME_WORDS = 5
#: A candidate must be found in at least this many of the group's documents.
MIN_DOCUMENTS = 2
#: A candidate gives way to a longer one holding it that this share of its documents use.
STANDS_IN_SHARE = 0.5
#: Distinctive words per group and language offered as candidates (phrases: all ranked ones).
CANDIDATE_WORDS = 10
#: The best single candidates of a group that are tried in pairs.
PAIRED = 4
#: A word is a modifier when it opens (or stands inside) phrases this many times as often as
#: it ends one.
MODIFIER_RATIO = 3.0
#: Endings of English adjectives: such a word is a modifier unless it ends phrases
#: :data:`ADJECTIVE_ENDS` times as often as it opens them (a noun like "trial", "signal").
ADJECTIVE_ENDS = 2.0
_ADJECTIVE_ENDINGS = ("ic", "al", "ous", "ive", "ary", "ar", "ful", "able", "ible")
#: A phrase is a fragment when longer phrases continuing it hold this share of its documents.
EXTENDED_SHARE = 0.5
#: A word in more than this share of the corpus's documents, not distinctive of the topic,
#: weakens a phrase ("treated patients", "control subjects", "tumor size" in medical
#: abstracts): the phrase is left out, its distinctive word stays a candidate.
COMMON_SHARE = 0.05
#: Weight of a candidate's coverage of its group's documents in its score.
COVERAGE_WEIGHT = 0.5
#: How two candidates are joined in each language.
JOINERS = {"en": " and ", "zh": "与"}

_LATIN = re.compile(r"[A-Za-z]")

Embed = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class Choice:
    """A group's name in one language and why.

    Attributes
    ----------
    name:
        As shown (English: first letter capitalised when the first word is lower case).
    score:
        Cosine to the group's mean vector plus the margin over its nearest neighbour group.
    heads:
        The head word of each joined part.
    """

    name: str
    score: float
    heads: frozenset[str]


def head_word(unit: str, segment: Callable[[str], list[str]]) -> str:
    """The word a phrase is about: English last word (singular, lower case), Chinese last
    segment."""
    if HAN.match(unit[:1] or " "):
        parts = segment(unit)
        return parts[-1] if parts else unit
    return singular(unit.split(" ")[-1].lower())


class Fragments:
    """Which English candidates are fragments of a longer term, so cannot end a name.

    - a phrase the topic's documents mostly continue ("left ventricular" → "… function",
      "… ejection fraction"): the phrases extending it at its end hold at least
      :data:`EXTENDED_SHARE` of its documents (its last two words are checked the same way, so
      "left ventricular ejection" falls with "ventricular ejection");
    - a last word that mostly opens phrases in the corpus (a modifier: "ventricular",
      "magnetic"; an adjective-like ending is enough when it opens as many as it ends), or a
      past participle ("patients treated");
    - a word in more than :data:`COMMON_SHARE` of the corpus's documents that is not
      distinctive of the topic ("treated patients", "patient population" on medical abstracts);
    - Chinese: a candidate ``odd_chinese`` rejects (a segment jieba made up around a function
      character, "数据集是" = 数据 + 集是).

    Parameters
    ----------
    found:
        The layer's labels, words, phrases and their document frequencies.
    odd_chinese:
        Whether a Chinese candidate holds a made-up segment (:func:`odd_segments`).
    """

    def __init__(
        self, found: GroupLabels, odd_chinese: Callable[[str], bool] | None = None
    ) -> None:
        self.odd_chinese = odd_chinese
        self.frequencies = frequencies = found.frequencies
        inner: dict[str, float] = {}
        last: dict[str, float] = {}
        self.extensions: dict[str, list[str]] = {}
        for unit, column in frequencies.column.items():
            if " " not in unit or HAN.search(unit):
                continue
            words = unit.split(" ")
            self.extensions.setdefault(" ".join(words[:-1]), []).append(unit)
            if len(words) == 2:  # longer phrases hold shorter ones: counted once
                share = float(frequencies.corpus_share[column])
                first, second = words[0].lower(), words[1].lower()
                inner[first] = inner.get(first, 0.0) + share
                last[second] = last.get(second, 0.0) + share
        words = {w.lower() for w in frequencies.column if " " not in w and not HAN.search(w)}
        self.modifiers = frozenset(
            word
            for word in words
            if (
                ADJECTIVE_ENDS * inner.get(word, 0.0) >= last.get(word, 0.0)
                if word.endswith(_ADJECTIVE_ENDINGS)
                else inner.get(word, 0.0) > MODIFIER_RATIO * last.get(word, 0.0)
            )
        )

    def __call__(self, group: int, unit: str) -> bool:
        """Whether ``unit`` cannot be (or end) ``group``'s name."""
        if HAN.search(unit):
            return self.odd_chinese is not None and self.odd_chinese(unit)
        words = unit.split(" ")
        word = words[-1].lower()
        if word in self.modifiers or (len(word) > 3 and word.endswith("ed") and word[-3] != "e"):
            return True
        if len(words) > 1 and any(self._common(group, w) for w in words):
            return True
        return any(
            self._continued(group, " ".join(words[i:]))
            for i in range(len(words) - 1, -1, -1)
            if i < 2
        )

    def _continued(self, group: int, phrase: str) -> bool:
        held = self.frequencies.in_topic(group, phrase)
        if held == 0:
            return False
        longer = sum(self.frequencies.in_topic(group, p) for p in self.extensions.get(phrase, []))
        return longer >= EXTENDED_SHARE * held

    def _common(self, group: int, word: str) -> bool:
        column = self.frequencies.column.get(word)
        if column is None:
            # A word of a phrase is frequent enough to count (phrases are made of such), so a
            # word missing from the vocabulary is one topics.max_df dropped as too common.
            return True
        share = float(self.frequencies.corpus_share[column])
        return share > COMMON_SHARE and self.frequencies.is_generic(group, word)


def odd_segments(
    segment: Callable[[str], list[str]], known: Callable[[str], bool], function_characters: set[str]
) -> Callable[[str], bool]:
    """A test for Chinese candidates holding a segment that is no dictionary word and starts or
    ends with a function character ("集是" of "数据集是不切实际的": jieba's guess, not a term)."""

    def odd(unit: str) -> bool:
        return any(
            not known(part) and (part[0] in function_characters or part[-1] in function_characters)
            for part in segment(unit)
            if HAN.match(part[:1] or " ")
        )

    return odd


def group_candidates(
    found: GroupLabels,
    group: int,
    lang: str,
    extra: Sequence[str] = (),
    fragment: Callable[[int, str], bool] | None = None,
) -> list[str]:
    """Name candidates of ``group`` in ``lang``: label units, phrases, words, then ``extra``.

    Candidates from the group's documents must be distinctive (not generic, see
    :mod:`topics.represent.labels`) and found in :data:`MIN_DOCUMENTS` of them; ``extra``
    (children's names) are taken as they are. Every candidate is in ``lang``'s script only.
    """
    frequencies = found.frequencies
    label = found.labels.get(group, {}).get(f"label_{lang}", "")
    units = [unit for unit in label.split(" · ") if unit]
    phrases = [p for p, _ in found.phrases.get(lang, {}).get(group, [])]
    words = [w for w, _ in found.words.get(lang, {}).get(group, [])[:CANDIDATE_WORDS]]
    own = [
        unit
        for unit in [*units, *phrases, *words]
        if not frequencies.is_generic(group, unit)
        and frequencies.in_topic(group, unit) >= MIN_DOCUMENTS
        and not (fragment is not None and fragment(group, unit))
    ]
    # A unit the group's documents mostly write inside a longer candidate gives way to it
    # ("cancer" in a topic that writes "breast cancer"), as a label word gives way to its phrase.
    own = [
        unit
        for unit in own
        if not any(
            contains(longer, unit)
            and frequencies.in_topic(group, longer)
            >= STANDS_IN_SHARE * frequencies.in_topic(group, unit)
            for longer in own
        )
    ]
    chosen: list[str] = []
    for unit in [*own, *extra]:
        if (
            unit
            and unit not in chosen
            and _in_script(unit, lang)
            and _words(unit) <= MAX_NAME_WORDS
        ):
            chosen.append(unit)
    return chosen


def shared_heads(names: Sequence[str], segment: Callable[[str], list[str]]) -> list[str]:
    """Head words at least two of ``names`` share (a group's generalising candidates)."""
    counts: dict[str, int] = {}
    for name in names:
        for part in _split_joined(name):
            head = head_word(part, segment)
            counts[head] = counts.get(head, 0) + 1
    return [head for head, count in counts.items() if count >= 2]


def choose_names(
    candidates: dict[int, list[str]],
    centroids: dict[int, np.ndarray],
    embed: Embed,
    lang: str,
    segment: Callable[[str], list[str]],
    coverage: dict[int, dict[str, float]] | None = None,
) -> dict[int, Choice]:
    """One name per group of a layer in ``lang`` (see the module docstring).

    Parameters
    ----------
    candidates:
        ``{group: [candidate, ...]}`` (:func:`group_candidates`); a group without any gets no
        name.
    centroids:
        Unit-length mean vector of every group of the layer, in ``embed``'s space (groups
        without candidates still count as neighbours).
    embed:
        The run's embedder on a list of short texts.
    lang:
        ``"en"`` or ``"zh"``.
    segment:
        Splits a Chinese phrase into its words (for head words).
    coverage:
        ``{group: {candidate: share of the group's documents holding it}}``; a name should
        cover its topic, not one corner of it (adds :data:`COVERAGE_WEIGHT` × the share; a
        joined name counts its parts' mean).
    """
    groups = [g for g in sorted(candidates) if candidates[g] and g in centroids]
    if not groups:
        return {}
    order = sorted(centroids)
    means = np.stack([np.asarray(centroids[g], dtype=np.float32) for g in order])
    row = {g: i for i, g in enumerate(order)}
    singles = {g: candidates[g] for g in groups}
    scored = _score(singles, means, row, embed)
    if coverage:
        scored = {g: [(t, v + COVERAGE_WEIGHT * coverage.get(g, {}).get(t, 0.0)) for t, v in items]
                  for g, items in scored.items()}  # fmt: skip
    pairs: dict[int, list[str]] = {}
    for g in groups:
        best = [text for text, _ in sorted(scored[g], key=lambda item: -item[1])[:PAIRED]]
        pairs[g] = [
            _join([a, b], lang)
            for i, a in enumerate(best)
            for b in best[i + 1 :]
            if not _overlap(a, b, segment)
            and _words(a) + _words(b) + (lang == "en") <= MAX_NAME_WORDS  # "and" counts
        ]
    for g, extra in _score(pairs, means, row, embed).items():
        for text, value in extra:
            parts = _split_joined(text)
            shares = [(coverage or {}).get(g, {}).get(part, 0.0) for part in parts]
            scored[g].append((text, value + COVERAGE_WEIGHT * float(np.mean(shares))))
    offers = sorted(
        ((score, g, text) for g in groups for text, score in scored[g]),
        key=lambda offer: (-offer[0], offer[1], offer[2]),
    )
    taken: set[str] = set()
    names: dict[int, Choice] = {}
    for score, g, text in offers:
        if g in names:
            continue
        heads = frozenset(head_word(part, segment) for part in _split_joined(text))
        if heads & taken:
            continue
        names[g] = Choice(_display(text, lang), round(float(score), 4), heads)
        taken |= heads
    for g in groups:  # every candidate's head was taken: the best one all the same
        if g not in names:
            text, score = max(scored[g], key=lambda item: item[1])
            heads = frozenset(head_word(part, segment) for part in _split_joined(text))
            names[g] = Choice(_display(text, lang), round(float(score), 4), heads)
    return names


def _score(
    candidates: dict[int, list[str]], means: np.ndarray, row: dict[int, int], embed: Embed
) -> dict[int, list[tuple[str, float]]]:
    """``(candidate, score)`` per group: cosine to its own mean plus the margin over the
    nearest other mean of the layer (the margin is the cosine itself with one group)."""
    texts = sorted({text for values in candidates.values() for text in values})
    if not texts:
        return {g: [] for g in candidates}
    vectors = np.asarray(embed(texts), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = vectors / np.where(norms == 0, 1.0, norms)
    similarity = vectors @ means.T  # (texts, groups)
    index = {text: i for i, text in enumerate(texts)}
    result: dict[int, list[tuple[str, float]]] = {}
    for g, values in candidates.items():
        own = row[g]
        out = []
        for text in values:
            sims = similarity[index[text]]
            mine = float(sims[own])
            others = np.delete(sims, own)
            nearest = float(others.max()) if others.size else 0.0
            out.append((text, 2.0 * mine - nearest))
        result[g] = out
    return result


def _join(parts: list[str], lang: str) -> str:
    """``a and b`` / ``a, b and c`` (Chinese: ``a与b`` / ``a、b与c``)."""
    comma = "、" if lang == "zh" else ", "
    return comma.join(parts[:-1]) + JOINERS[lang] + parts[-1]


def _split_joined(text: str) -> list[str]:
    parts = [text]
    for separator in (*JOINERS.values(), ", ", "、"):
        parts = [piece for part in parts for piece in part.split(separator)]
    return [part for part in parts if part]


def _overlap(a: str, b: str, segment: Callable[[str], list[str]]) -> bool:
    """Whether two candidates share a word or a head (joining them would repeat it)."""
    if a in b or b in a or head_word(a, segment) == head_word(b, segment):
        return True
    if _acronym(a) == b.lower() or _acronym(b) == a.lower():
        return True  # "magnetic resonance imaging" and "MRI"
    if HAN.match(a[:1] or " "):
        return bool(set(segment(a)) & set(segment(b)))
    return bool({singular(w.lower()) for w in a.split()} & {singular(w.lower()) for w in b.split()})


def _acronym(unit: str) -> str:
    """Initials of a phrase of two or more words, lower case (``""`` otherwise)."""
    words = unit.split(" ")
    return "".join(w[0] for w in words if w).lower() if len(words) > 1 else ""


def _in_script(unit: str, lang: str) -> bool:
    """English candidates hold no Han character; Chinese ones no Latin letter."""
    has_han = bool(HAN.search(unit))
    return has_han and not _LATIN.search(unit) if lang == "zh" else not has_han


def _words(unit: str) -> int:
    """Words of a candidate (a Chinese phrase of n characters counts about n/2)."""
    if HAN.match(unit[:1] or " "):
        return max(1, len(unit) // 2)
    return len(unit.split())


def _display(text: str, lang: str) -> str:
    """English: capitalise a first word written all in lower case ("Gamma-ray bursts");
    acronyms and mixed-case names ("mRNA", "LV") stay as written."""
    first = text.split(" ")[0]
    if lang == "en" and text[:1].islower() and first == first.lower():
        return text[:1].upper() + text[1:]
    return text
