"""Language tags for documents: ``zh``, ``en`` or ``other``.

The corpus is English originals plus Chinese machine translations that keep Latin acronyms,
terms and sometimes LaTeX ("Simclr", "PTQ", ``$\\mathbf{a}$``), so the test compares units of
meaning rather than characters: a Han ideograph against a Latin *word*. A text is Chinese
when Han ideographs are at least :data:`HAN_SHARE_ZH` of ``han + latin_words`` (on the CSL and
ChinaXiv bench sets every Chinese abstract scores ≥ 0.55, the seeds ≥ 0.89; English abstracts
score ~0). Kana or hangul above a small share of the CJK characters marks Japanese or Korean,
which are ``other``. A mostly-Latin text is English unless it has more function words of
French, German, Spanish, Italian or Portuguese than of English (and at least two); texts with
neither (titles, term lists) count as English, the corpus's Latin-script language.
"""

from __future__ import annotations

import re

from topics.text.han import count_han

HAN_SHARE_ZH = 0.5
"""Minimum ``han / (han + latin_words)`` for ``zh``."""

KANA_HANGUL_SHARE = 0.1
"""Share of kana/hangul among CJK characters above which a text is Japanese/Korean."""

LATIN_SHARE_EN = 0.5
"""Minimum share of Latin letters among all letters for ``en``."""

# Counting by deleting the complement in runs is ~5x faster than findall on long texts.
_NON_LETTER = re.compile(r"[\W\d_]+")
_LETTER = re.compile(r"[^\W\d_]")
_KANA_HANGUL_CLASS = "\u3040-\u30ff\u31f0-\u31ff\u1100-\u11ff\u3130-\u318f\uac00-\ud7af"
_NON_KANA_HANGUL = re.compile(f"[^{_KANA_HANGUL_CLASS}]+")
_LATIN_CLASS = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
_NON_LATIN = re.compile(f"[^{_LATIN_CLASS}]+")
_LATIN_WORD = re.compile(f"[{_LATIN_CLASS}]+")

# Frequent function words that are rare as words in the other language group; words common
# to both ("a", "in", "on", "an", "die", "so") are left out of both sets.
_EN_WORDS = """the of and to is are was were be been we our this that these those with for from by
    which it its has have had can will would should not or than such into their they there
    when what how also both each other more most only using used based between while"""
_EN_FUNCTION_WORDS = frozenset(_EN_WORDS.split())
_OTHER_WORDS = """le la les des du et est une dans pour sur avec que qui ne pas nous sont par au aux
    ces cette der das und ist nicht mit ein eine einen dem den wir sich auf auch werden zu
    el los las del y es por para con una como más pero sus al lo se il della di che è
    sono dei per gli não com uma os da do em são"""
_OTHER_FUNCTION_WORDS = frozenset(_OTHER_WORDS.split())


def detect_language(text: str) -> str:
    """Tag ``text`` as ``"zh"``, ``"en"`` or ``"other"``.

    Parameters
    ----------
    text:
        A (normalised) document.

    Returns
    -------
    str
        ``"zh"`` when Han ideographs are at least :data:`HAN_SHARE_ZH` of Han characters
        plus Latin words (and kana/hangul are rare); ``"en"`` when Latin letters dominate and
        the text does not read as another European language; ``"other"`` otherwise,
        including texts without letters.

    Examples
    --------
    >>> detect_language("我们提出了一种基于Transformer的PTQ方法。")
    'zh'
    >>> detect_language("We propose a method for the analysis of graphs.")
    'en'
    """
    if text.isascii():
        # Fast path (most English abstracts): every letter is Latin, no Han.
        if not any(char.isalpha() for char in text):
            return "other"
        return _english_or_other(text)
    if _LETTER.search(text) is None:
        return "other"
    han = count_han(text)
    if han and han / (han + len(_LATIN_WORD.findall(text))) >= HAN_SHARE_ZH:
        kana_hangul = len(_NON_KANA_HANGUL.sub("", text))
        return "other" if kana_hangul / (han + kana_hangul) > KANA_HANGUL_SHARE else "zh"
    # Counted only now: deleting every non-letter of a Chinese text cost as much as the rest
    # of its test.
    letters = len(_NON_LETTER.sub("", text))
    if len(_NON_LATIN.sub("", text)) / letters < LATIN_SHARE_EN:
        return "other"
    return _english_or_other(text)


def _english_or_other(text: str) -> str:
    """Tell English from other Latin-script languages by their function words."""
    words = _LATIN_WORD.findall(text.lower())
    other = sum(map(_OTHER_FUNCTION_WORDS.__contains__, words))
    # One stray "der" or "di" (van der Waals, Di-jet) must not outvote an English title; with
    # fewer than two the English words need no counting.
    if other < 2:
        return "en"
    english = sum(map(_EN_FUNCTION_WORDS.__contains__, words))
    return "other" if other > english else "en"
