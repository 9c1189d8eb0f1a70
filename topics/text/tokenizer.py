"""Tokenizer for mixed Chinese/English abstracts, used for topic words and their metrics.

BERTopic's default ``CountVectorizer`` turns a Chinese sentence into one "word" (BERTopic
#1157, #1821); the usual fix, jieba plus ``re.sub(r"\\W*", "", text)`` (Turftopic), glues
English words together ("largelanguagemodel"). :class:`MixedTokenizer` instead splits the text
into script runs first:

- Han runs are segmented with jieba (a private ``jieba.Tokenizer``, created once per process
  with its start-up logging silenced);
- Runs of the other alphabetic scripts (Latin, Cyrillic, Greek, Arabic, kana, hangul, ...) are
  split into words. Hyphenated terms stay one token (``self-supervised``, ``text-to-image``,
  ``gpt-4``, ``cifar-10``): they name one concept, and splitting them would leave parts like
  ``self`` or ``shot`` that mean nothing alone. A decimal point is kept only
  between digits (``gpt-3.5``), so ``e.g.`` falls apart into junk that is dropped.
- Acronyms keep their case: a word whose letters are all capitals, 2 to 6 letters long
  (digits and hyphens allowed: ``GPT``, ``BERT``, ``GPR-MGK``, ``STL-10``), stays upper case.
  Everything else is lower-cased, which merges the odd casings of machine translations
  (``Simclr``, ``SimCLR`` → ``simclr``). Longer all-caps words (``SIMCLR`` has 6 letters and
  stays, ``IMAGENET`` becomes ``imagenet``) are treated as shouting, not acronyms.

Dropped: stopwords (English, simplified and traditional Chinese, research boilerplate, plus
any extra ones), numbers in any form (``2019``, ``0.91``, ``8%``, ``10k``, ``1990s``, ``1e-5``,
``２０１９``, 三十, 两种), tokens without a letter or digit, one-character non-Han tokens, and —
by default — every one-character Han token. Single Han characters are mostly function words
(的 了 和 在 是); the few content ones (书, 茶) are a price worth paying for clean topic words.

Give the tokenizer to ``CountVectorizer(tokenizer=MixedTokenizer(...), lowercase=False,
token_pattern=None)``: with sklearn's default ``lowercase=True`` the text is lower-cased before
the tokenizer sees it and acronyms lose their case. It pickles (for process pools and saved
models); the jieba state is rebuilt lazily after unpickling.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from topics.text.han import HAN, HAN_CHARS, HAN_RUN
from topics.text.stopwords import normalise_stopwords, stopwords

#: The folder whose code and word lists decide the tokens (:meth:`MixedTokenizer.fingerprint`).
TEXT_PACKAGE = Path(__file__).resolve().parent

# Letters of the alphabetic scripts a corpus may hold besides Chinese: Latin with accents
# (the multiplication and division signs excluded), Vietnamese, Greek, Cyrillic, Armenian,
# Hebrew, Arabic, the Indic scripts, Georgian, kana and hangul. Han is not among them: it goes
# to jieba. (Until 2026-12 only Latin was here, and a Russian corpus was labelled with the
# few Latin acronyms in it.)
_WORD_CHARS = (
    "0-9A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
    "\u0370-\u03ff\u1f00-\u1fff\u0400-\u052f\u0531-\u058f\u0590-\u05ff\u0600-\u06ff"
    "\u0900-\u0dff\u10a0-\u10ff\u3041-\u30ff\u1100-\u11ff\u3131-\u318f\uac00-\ud7af"
)
_ALPHABETIC_WORD = (
    rf"[{_WORD_CHARS}]+"
    rf"(?:(?:[-'\u2019]|(?<=[0-9])\.(?=[0-9]))[{_WORD_CHARS}]+)*"
)
# Separators are required between repetitions, so the pattern cannot backtrack
# catastrophically on hostile input.
_RUNS = re.compile(rf"(?P<han>[{HAN_CHARS}]+)|(?P<word>{_ALPHABETIC_WORD})")

_NUMBER = re.compile(
    r"[+\-]?\d+(?:[.,:/\-]\d+)*"
    r"(?:e[+\-]?\d+)?"
    r"(?:%|‰|st|nd|rd|th|s|k|m|b|x|[年月日个個种種次倍])?",
    re.IGNORECASE,
)
_CHINESE_NUMERAL = re.compile(
    r"第?[零〇一二两兩三四五六七八九十百千万萬亿億壹贰叁肆伍陆柒捌玖拾佰仟]+"
    r"[个個种種类類项項次年月日倍位名组組]?"
)
_HAN_CHAR = HAN
_HAN_RUN = HAN_RUN
_MAX_ACRONYM_LETTERS = 6

_JIEBA: Any = None
_JIEBA_LOCK = threading.Lock()


def _jieba_tokenizer() -> Any:
    """Return this process's jieba tokenizer, building it quietly on first use."""
    global _JIEBA
    if _JIEBA is None:
        with _JIEBA_LOCK:
            if _JIEBA is None:
                with warnings.catch_warnings():
                    # jieba 0.42 has invalid escape sequences: SyntaxWarning on Python 3.12+.
                    warnings.simplefilter("ignore", (DeprecationWarning, SyntaxWarning))
                    import jieba

                segmenter = jieba.Tokenizer()
                # jieba logs "Building prefix dict ..." to stderr at DEBUG on every start, and
                # an ERROR when its cache in the temp folder cannot be written (harmless).
                jieba_logger = logging.getLogger("jieba")
                previous = jieba_logger.level
                jieba_logger.setLevel(logging.CRITICAL + 1)
                try:
                    segmenter.initialize()
                finally:
                    jieba_logger.setLevel(previous)
                _JIEBA = segmenter
    return _JIEBA


def in_jieba_dictionary(word: str) -> bool:
    """Whether ``word`` is in jieba's dictionary (not a word its HMM guessed)."""
    segmenter = _jieba_tokenizer()
    segmenter.check_initialized()
    return segmenter.FREQ.get(word, 0) > 0


def _is_number(token: str) -> bool:
    return bool(_NUMBER.fullmatch(token) or _CHINESE_NUMERAL.fullmatch(token))


def is_junk_token(token: str, stop: frozenset[str], *, single_han_is_junk: bool = True) -> bool:
    """Say whether ``token`` carries no topic meaning.

    Parameters
    ----------
    token:
        A token in any case.
    stop:
        Lower-cased stopwords, as returned by :func:`topics.text.stopwords.stopwords`.
    single_han_is_junk:
        Treat a one-character Han token as junk (the tokenizer's default).

    Returns
    -------
    bool
        True for a stopword, a number (ASCII, full-width or Chinese numerals, decimals,
        percentages, ``10k``-style magnitudes), a token without any letter or digit, a
        one-character non-Han token, optionally a one-character Han token, and a hyphenated
        compound whose parts are all junk.
    """
    token = token.strip()
    if not token:
        return True
    if len(token) == 1:
        return single_han_is_junk or not _HAN_CHAR.match(token)
    lowered = token.lower()
    if lowered in stop or _is_number(lowered):
        return True
    if not any(ch.isalnum() for ch in token):
        return True
    if "-" in token:
        parts = [part for part in lowered.split("-") if part]
        return all(
            len(part) == 1 or part in stop or _is_number(part) or not any(c.isalnum() for c in part)
            for part in parts
        )
    return False


def _word_form(word: str) -> str:
    """The vocabulary form of an alphabetic word: acronyms as written, the rest lower-cased."""
    word = word.replace("\u2019", "'")
    if word.endswith(("'s", "'S")):
        word = word[:-2]
    letters = [ch for ch in word if ch.isalpha()]
    if 2 <= len(letters) <= _MAX_ACRONYM_LETTERS and all(ch.isupper() for ch in letters):
        return word
    return word.lower()


class MixedTokenizer:
    """Split mixed Chinese/English text into topic-word tokens (a picklable callable).

    Parameters
    ----------
    extra_stopwords:
        More stopwords in either language and any case (config ``topics.extra_stopwords``);
        traditional spellings of Chinese ones are added.
    drop_single_han:
        Drop one-character Han tokens (default), which are mostly function words.
    hmm:
        Let jieba's HMM join characters it has no dictionary word for into new words
        (technical terms missing from its dictionary); jieba's own default.

    Examples
    --------
    >>> MixedTokenizer()("我们提出了基于BERT的large language model方法")
    ['BERT', 'large', 'language', 'model']
    """

    def __init__(
        self,
        extra_stopwords: Iterable[str] = (),
        *,
        drop_single_han: bool = True,
        hmm: bool = True,
    ) -> None:
        self.extra_stopwords = tuple(sorted(normalise_stopwords(extra_stopwords)))
        self.drop_single_han = drop_single_han
        self.hmm = hmm
        self._stop = stopwords(self.extra_stopwords)
        self._word_cache: dict[str, str | None] = {}
        # jieba may split a user's Chinese stopword phrase (语言模型 → 语言 模型), so such
        # phrases are cut out of Han runs before segmentation rather than matched per token.
        phrases = sorted(
            (w for w in self.extra_stopwords if len(w) > 1 and _HAN_RUN.fullmatch(w)),
            key=lambda w: (-len(w), w),
        )
        self._phrases = re.compile("|".join(map(re.escape, phrases))) if phrases else None

    def __repr__(self) -> str:
        return (
            f"MixedTokenizer(extra_stopwords={list(self.extra_stopwords)!r}, "
            f"drop_single_han={self.drop_single_han}, hmm={self.hmm})"
        )

    def __getstate__(self) -> dict[str, Any]:
        # Only the settings travel; stopwords and caches are rebuilt from the shipped lists.
        return {
            "extra_stopwords": self.extra_stopwords,
            "drop_single_han": self.drop_single_han,
            "hmm": self.hmm,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(  # type: ignore[misc]
            state["extra_stopwords"],
            drop_single_han=state["drop_single_han"],
            hmm=state["hmm"],
        )

    def fingerprint(self) -> str:
        """What decides this tokenizer's tokens: its settings (``repr``), the code and word
        lists of ``topics.text`` (editing a stopword file or a rule changes it) and the jieba
        version (its dictionary ships with it). Token caches and TF-IDF blocks are keyed by it.
        """
        from topics.hashing import files_digest, package_version

        files = [*TEXT_PACKAGE.glob("*.py"), *TEXT_PACKAGE.glob("stopwords/*.txt")]
        return f"{self!r}:jieba-{package_version('jieba')}:text-{files_digest(files)}"

    @property
    def stopwords(self) -> frozenset[str]:
        """The lower-cased stopwords this tokenizer drops."""
        return self._stop

    def _keep_word(self, raw: str) -> str | None:
        cached = self._word_cache.get(raw, "")
        if cached != "":
            return cached
        form = _word_form(raw)
        kept = None if is_junk_token(form, self._stop) else form
        if len(self._word_cache) < 200_000:  # bounded: abstracts are untrusted input
            self._word_cache[raw] = kept
        return kept

    def _keep_han(self, word: str) -> bool:
        if len(word) == 1:
            return not self.drop_single_han and word not in self._stop
        return word not in self._stop and not _CHINESE_NUMERAL.fullmatch(word)

    def __call__(self, text: str) -> list[str]:
        """Return the kept tokens of ``text`` in reading order.

        Parameters
        ----------
        text:
            One document; anything that is not a string gives no tokens.

        Returns
        -------
        list[str]
            Chinese words, lower-cased English words and upper-case acronyms, with junk
            removed (see the module docstring).
        """
        if not isinstance(text, str) or not text:
            return []
        # NFKC folds full-width Latin and digits (one seed file is double width), ligatures
        # from PDF conversion ("ﬁ") and CJK compatibility ideographs onto their plain forms.
        text = unicodedata.normalize("NFKC", text)
        tokens: list[str] = []
        previous_word = ""
        for match in _RUNS.finditer(text):
            han = match.group("han")
            if han is not None:
                pieces = self._phrases.split(han) if self._phrases is not None else (han,)
                for piece in pieces:
                    tokens.extend(self._segment(piece))
                previous_word = ""
                continue
            raw = match.group("word")
            # "al" of "et al." is junk, but "AL" (active learning) is an acronym worth keeping.
            if not (raw == "al" and previous_word == "et"):
                kept = self._keep_word(raw)
                if kept is not None:
                    tokens.append(kept)
            previous_word = raw.lower()
        return tokens

    def _segment(self, han: str) -> list[str]:
        """Return the kept jieba words of one run of Han characters."""
        if len(han) < 2:
            return [han] if han and self._keep_han(han) else []
        words = _jieba_tokenizer().cut(han, HMM=self.hmm)
        return [word for word in words if self._keep_han(word)]
