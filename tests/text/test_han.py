"""One Han-character class for every module (it used to be defined seven ways)."""

from __future__ import annotations

import pytest

from topics.corpus.language import detect_language
from topics.corpus.readers import _join_lines
from topics.crosslingual.duplicates import extract_anchors
from topics.text.han import HAN, count_han

# One character from each block the class must cover.
BLOCKS = {
    "unified": "模",
    "extension A": "\u3400",
    "extension B": "\U00020000",
    "extension C": "\U0002a700",
    "extension E": "\U0002b820",
    "extension I": "\U0002ebf0",
    "extension G": "\U00030000",
    "extension H": "\U00031350",
    "compatibility": "\uf900",
    "compatibility supplement": "\U0002f800",
    "Kangxi radical (PDF look-alike of 高)": "\u2fbc",
    "ideographic zero": "〇",
}
NOT_HAN = {
    "Yijing hexagram": "\u4dc0",
    "hiragana": "あ",
    "hangul": "한",
    "ideographic comma": "、",
    "full-width A": "Ａ",
    "alphabetic presentation form": "\ufb00",
}


@pytest.mark.parametrize("char", BLOCKS.values(), ids=BLOCKS.keys())
def test_han_covers_every_block(char: str) -> None:
    assert HAN.fullmatch(char)


@pytest.mark.parametrize("char", NOT_HAN.values(), ids=NOT_HAN.keys())
def test_han_excludes_look_alikes(char: str) -> None:
    assert not HAN.fullmatch(char)


RARE = "\U0002ebf0\U00030000\U0002a700\U00020000"  # extension I, G, C, B: rare but Chinese


def test_modules_agree_on_rare_characters() -> None:
    text = "我们提出" + RARE + "模型"
    assert count_han(text) == 10
    # The translation detector's length ratio counts them (basic + A + compatibility did not).
    assert extract_anchors(text, "zh").length == 10
    # Hard-wrapped Chinese joins without a space, whatever the block at the break.
    wrapped = ["我们提出\U00020000", "\U0002a700模型"]
    assert _join_lines(wrapped) == "".join(wrapped)
    # Compatibility supplement: outside the old language-detection range.
    assert detect_language("\U0002f800" * 30) == "zh"
