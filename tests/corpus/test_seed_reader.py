"""The seed format reader, on the real seed files and on variants derived from them."""

from __future__ import annotations

from pathlib import Path

import pytest

from topics.config import FieldsSection
from topics.corpus.readers import SEED_MARKER, read_seed

SEEDS = Path(__file__).parents[1] / "data" / "corpus" / "seeds"
FILE_000 = SEEDS / "000_5577003dcb3ec7a1.txt"
FIELDS = FieldsSection()


def _read(path: Path) -> list:
    return list(read_seed(path, FIELDS))


def test_real_seed_file_gives_one_record_per_marker() -> None:
    raw = FILE_000.read_text(encoding="utf-8")
    records = _read(FILE_000)

    assert len(records) == raw.count(SEED_MARKER) == 10
    assert [r.id for r in records] == [f"000_5577003dcb3ec7a1:{n}" for n in range(1, 11)]
    # Abstract n starts on line 2n-1: one abstract line, one marker line.
    assert [r.source for r in records] == [f"{FILE_000}:{2 * n - 1}" for n in range(1, 11)]
    assert records[0].text.startswith("自我监督的学习方法在下游分类任务中")
    assert records[1].text.startswith("Large pre-trained models, such as Bert, GPT")
    assert all(SEED_MARKER not in r.text and r.text == r.text.strip() for r in records)
    assert all(r.title is None and r.date is None and r.label is None for r in records)


def test_double_spaced_crlf_bom_file_reads_like_the_original(tmp_path: Path) -> None:
    lines = FILE_000.read_text(encoding="utf-8").split("\n")
    # Double spacing, Windows line ends, a BOM, stray blanks, trailing spaces and a
    # differently-cased marker: all of it must be tolerated.
    hostile_lines = [
        (line.replace(SEED_MARKER, "Translated  by 谷歌翻译 \t") if i == 3 else line) + "  "
        for i, line in enumerate(lines)
    ]
    text = "\ufeff\r\n" + "\r\n\r\n".join(hostile_lines) + "\r\n\r\n\r\n"
    variant = tmp_path / "000_5577003dcb3ec7a1.txt"
    variant.write_bytes(text.encode("utf-8"))

    original, derived = _read(FILE_000), _read(variant)

    assert [r.text for r in derived] == [r.text for r in original]
    assert [r.id for r in derived] == [r.id for r in original]
    assert derived[1].source == f"{variant}:6"  # BOM line 1 blank, abstract 1 on line 2


def test_paragraph_without_closing_marker_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "cut.txt"
    path.write_text(f"First abstract.\n{SEED_MARKER}\n\nSecond abstract, cut off\n", "utf-8")

    records = _read(path)

    assert [r.text for r in records] == ["First abstract.", "Second abstract, cut off"]
    assert records[1].source == f"{path}:4"


def test_marker_glued_to_the_last_line_closes_the_abstract(tmp_path: Path) -> None:
    path = tmp_path / "glued.txt"
    path.write_text(f"One abstract. {SEED_MARKER}\nTwo.\n{SEED_MARKER}\n", "utf-8")

    assert [r.text for r in _read(path)] == ["One abstract.", "Two."]


def test_hard_wrapped_paragraph_joins_chinese_without_spaces(tmp_path: Path) -> None:
    path = tmp_path / "wrapped.txt"
    path.write_text(f"我们提出\n一种方法\nfor graphs\nand trees.\n{SEED_MARKER}\n", "utf-8")

    assert [r.text for r in _read(path)] == ["我们提出一种方法 for graphs and trees."]


def test_file_without_any_marker_splits_on_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "plain.txt"
    path.write_text("First paragraph\nstill first.\n\n\nSecond paragraph.\n", "utf-8")

    records = _read(path)

    assert [r.text for r in records] == ["First paragraph still first.", "Second paragraph."]
    assert [r.source for r in records] == [f"{path}:1", f"{path}:5"]


@pytest.mark.parametrize("content", ["", "\n\n", f"{SEED_MARKER}\n{SEED_MARKER}\n"])
def test_empty_files_give_no_records(tmp_path: Path, content: str) -> None:
    path = tmp_path / "empty.txt"
    path.write_text(content, "utf-8")

    assert _read(path) == []
