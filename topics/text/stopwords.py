"""Stopword lists for topic words: English, Chinese (simplified and traditional), boilerplate.

The lists are plain text files in ``topics/text/stopwords/`` (one word per line, ``#`` starts a
comment) so they can be read and extended without touching code:

- ``en.txt``: English function words (scikit-learn's list and more);
- ``zh.txt``: Chinese function words, written in simplified characters;
- ``academic_en.txt`` / ``academic_zh.txt``: research boilerplate ("paper", "propose", 本文, 提出)
  that shows up in the topic words of every field (BERTopic #27);
- ``s2t.txt``: a simplified → traditional character table. Every Chinese entry (and every
  user-supplied extra stopword) also stops its traditional spellings, so the lists cover both
  scripts without opencc (Turftopic ships only traditional-character stopwords).

Matching is on the lower-cased token, so ``THE`` and ``Paper`` are stopwords too.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from functools import cache
from importlib import resources

from topics.text.han import HAN

LIST_NAMES: tuple[str, ...] = ("en", "zh", "academic_en", "academic_zh")

# Caps the spellings generated for one word: a word whose every character has two traditional
# forms would otherwise grow as 2^n.
_MAX_VARIANTS = 16


def _read_list(name: str) -> list[str]:
    """Return the entries of ``stopwords/<name>.txt`` (comments and blank lines skipped)."""
    text = resources.files("topics.text").joinpath("stopwords", f"{name}.txt").read_text("utf-8")
    words = []
    for line in text.splitlines():
        entry = line.split("#", 1)[0].strip()
        if entry:
            words.append(entry)
    return words


@cache
def simplified_to_traditional() -> dict[str, tuple[str, ...]]:
    """Return the character table ``simplified → (traditional forms...)`` from ``s2t.txt``."""
    text = resources.files("topics.text").joinpath("stopwords", "s2t.txt").read_text("utf-8")
    table: dict[str, tuple[str, ...]] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        simplified, forms = line.split("\t", 1)
        table[simplified.strip()] = tuple(forms.strip())
    return table


def traditional_variants(word: str) -> set[str]:
    """Return ``word`` and its traditional-character spellings.

    Parameters
    ----------
    word:
        A word in any script; non-Chinese words come back unchanged.

    Returns
    -------
    set[str]
        The word itself plus up to a few spellings with each simplified character replaced by
        its traditional forms from ``s2t.txt``.
    """
    if not HAN.search(word):
        return {word}
    table = simplified_to_traditional()
    options = [(ch, *table.get(ch, ())) for ch in word]
    variants = {word}
    for combo in itertools.islice(itertools.product(*options), _MAX_VARIANTS):
        variants.add("".join(combo))
    # The product enumerates the last character's forms first; make sure the fully
    # traditional spelling (first form of every character) is always present.
    variants.add("".join(opts[1] if len(opts) > 1 else opts[0] for opts in options))
    return variants


def normalise_stopwords(words: Iterable[str]) -> frozenset[str]:
    """Lower-case ``words`` and add traditional spellings of Chinese ones.

    Parameters
    ----------
    words:
        Stopwords in any case and script (for example ``topics.extra_stopwords``).

    Returns
    -------
    frozenset[str]
        The set the tokenizer matches lower-cased tokens against.
    """
    out: set[str] = set()
    for word in words:
        cleaned = word.strip().lower()
        if cleaned:
            out |= traditional_variants(cleaned)
    return frozenset(out)


@cache
def stopword_list(name: str) -> frozenset[str]:
    """Return one shipped list (``en``, ``zh``, ``academic_en`` or ``academic_zh``), normalised.

    Parameters
    ----------
    name:
        One of :data:`LIST_NAMES`.

    Returns
    -------
    frozenset[str]
        Lower-cased entries plus traditional spellings of Chinese ones.
    """
    if name not in LIST_NAMES:
        raise ValueError(f"unknown stopword list {name!r}; expected one of {LIST_NAMES}")
    return normalise_stopwords(_read_list(name))


@cache
def _all_shipped() -> frozenset[str]:
    return frozenset().union(*(stopword_list(name) for name in LIST_NAMES))


def stopwords(extra: Iterable[str] = ()) -> frozenset[str]:
    """Return every shipped stopword list merged, plus ``extra``.

    Parameters
    ----------
    extra:
        Additional stopwords (either language, any case); traditional spellings of Chinese
        ones are added.

    Returns
    -------
    frozenset[str]
        Lower-cased stopwords; compare with ``token.lower()``.
    """
    extra_set = normalise_stopwords(extra)
    return _all_shipped() | extra_set if extra_set else _all_shipped()
