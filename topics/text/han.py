"""The one definition of a Han (Chinese) character, shared by every module that needs it.

Language detection, the seed reader's line joining, the tokenizer, stopword checks, the
TF-IDF fallback tokens, bilingual labels and the translation detector's length ratio all ask
"is this Chinese?"; they used seven slightly different ranges (some missed extension B-I or
counted Yijing hexagram symbols), so a text could be Chinese to one and not to another.

The class is Unicode's Han script: every CJK Unified Ideographs block (the basic block and
extensions A-I), both compatibility blocks, the radicals (PDF extraction often gives Kangxi
radicals such as ``⾼`` for look-alike ideographs, and NFC keeps them) and the ideographic
marks and numerals in the CJK punctuation block (``々``, ``〇``, Hangzhou numerals).
"""

from __future__ import annotations

import re

HAN_CHARS = (
    "\u2e80-\u2eff"  # CJK Radicals Supplement
    "\u2f00-\u2fdf"  # Kangxi Radicals
    "\u3005\u3007\u3021-\u3029\u3038-\u303b"  # 々, 〇, Hangzhou numerals, 〸-〻
    "\u3400-\u4dbf"  # Extension A
    "\u4e00-\u9fff"  # CJK Unified Ideographs
    "\uf900-\ufaff"  # CJK Compatibility Ideographs
    "\U00020000-\U0002a6df"  # Extension B
    "\U0002a700-\U0002ee5f"  # Extensions C, D, E, F, I (contiguous)
    "\U0002f800-\U0002fa1f"  # CJK Compatibility Ideographs Supplement
    "\U00030000-\U000323af"  # Extensions G, H
)
"""Han characters as the inside of a regex character class: ``f"[{HAN_CHARS}]"``."""

HAN = re.compile(f"[{HAN_CHARS}]")
"""One Han character."""

HAN_RUN = re.compile(f"[{HAN_CHARS}]+")
"""A run of consecutive Han characters."""

NON_HAN_RUN = re.compile(f"[^{HAN_CHARS}]+")
"""A run of anything else (delete it to count Han characters fast)."""


def count_han(text: str) -> int:
    """Number of Han characters in ``text``."""
    return len(NON_HAN_RUN.sub("", text)) if HAN.search(text) else 0
