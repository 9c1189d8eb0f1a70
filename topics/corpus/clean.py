"""Text normalisation applied to every abstract and title before anything else sees it.

Choices (and why):

- Unicode **NFC**, not NFKC: NFKC would rewrite full-width CJK punctuation (``，`` → ``,``)
  and ligatures, which changes what the dashboard shows; folding for tokenization is the
  tokenizer's business.
- Control characters (C0/C1, DEL) become spaces, so ``"a\\x1fb"`` stays two words.
- Invisible formatting characters are removed: bidi embeddings/overrides/isolates (they can
  make displayed text read differently from the stored text), zero-width space, word joiner,
  soft hyphen, BOMs, LRM/RLM, and lone surrogates (which cannot be encoded as UTF-8 and
  would break every writer downstream). ZWJ/ZWNJ are kept: emoji and several scripts need
  them.
- Runs of any Unicode whitespace (including U+3000 ideographic space and NBSP) collapse to
  one ASCII space; the result is stripped.
"""

from __future__ import annotations

import re
import unicodedata

# C0 and C1 controls and DEL; tab/newline are among them and also just mean "space".
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_INVISIBLE = re.compile(
    "[\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
    "\ud800-\udfff]"
)


def normalise_text(text: str) -> str:
    """Return ``text`` cleaned for modelling and display.

    Parameters
    ----------
    text:
        Raw text as read from an input file.

    Returns
    -------
    str
        NFC-normalised text without control or invisible formatting characters, with every
        whitespace run collapsed to a single space and no leading/trailing whitespace.

    Examples
    --------
    >>> normalise_text("  深度\u3000学习\u00a0 model\u202e\\n")
    '深度 学习 model'
    """
    if not text.isascii():  # every invisible character and every composition is non-ASCII
        text = unicodedata.normalize("NFC", _INVISIBLE.sub("", text))
    return " ".join(_CONTROL.sub(" ", text).split())


def normalise_optional(value: str | None) -> str | None:
    """Normalise an optional field (title, date, label); empty results become ``None``."""
    if value is None:
        return None
    cleaned = normalise_text(value)
    return cleaned or None


def cut_text(text: str, max_chars: int) -> str:
    """``text`` cut to at most ``max_chars`` characters, at the last space when there is one
    in the final fifth (a Chinese text has few spaces: it is cut at the limit).

    Examples
    --------
    >>> cut_text("alpha beta gamma", 12)
    'alpha beta'
    """
    if len(text) <= max_chars:
        return text
    cut = text[:max_chars]
    space = cut.rfind(" ", max_chars - max_chars // 5)
    return (cut[:space] if space > 0 else cut).rstrip()
