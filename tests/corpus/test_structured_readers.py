"""JSON Lines, CSV and Parquet readers: field mapping, coercion and error messages."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
from pathlib import Path

import pytest

from topics.config import FieldsSection
from topics.corpus.readers import RawRecord, read_csv, read_jsonl, read_parquet, read_seed
from topics.errors import InputError

FIELDS = FieldsSection()
ABSTRACT = "Graph neural networks pass messages between nodes of a citation graph."


def _write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), "utf-8")
    return path


# --------------------------------------------------------------------------------------------
# jsonl


def test_jsonl_reads_fields_coerces_values_and_skips_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    path.write_text(
        json.dumps({"id": 7, "title": "T", "abstract": ABSTRACT, "date": 2008, "label": 3})
        + "\n\n"
        + json.dumps({"abstract": "Second.", "title": "", "date": None, "label": 2.0})
        + "\n",
        "utf-8",
    )

    records = list(read_jsonl(path, FIELDS))

    assert records == [
        RawRecord("7", ABSTRACT, "T", "2008", "3", f"{path}:1"),
        RawRecord("data:3", "Second.", None, None, "2", f"{path}:3"),
    ]


def test_jsonl_uses_configured_field_names(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "x.jsonl", [{"key": "a", "body": ABSTRACT, "cls": "cs"}])
    fields = FieldsSection(id="key", text="body", label="cls")

    (record,) = read_jsonl(path, fields)

    assert (record.id, record.text, record.label) == ("a", ABSTRACT, "cs")


def test_gzipped_jsonl_reads_like_plain(tmp_path: Path) -> None:
    rows = [{"id": f"d{i}", "abstract": f"{ABSTRACT} {i}", "title": "标题"} for i in range(3)]
    plain = _write_jsonl(tmp_path / "c.jsonl", rows)
    packed = tmp_path / "c.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))

    got = [(r.id, r.text, r.title) for r in read_jsonl(packed, FIELDS)]

    assert got == [(r.id, r.text, r.title) for r in read_jsonl(plain, FIELDS)]
    assert len(got) == 3


def test_default_ids_use_the_name_without_format_suffixes(tmp_path: Path) -> None:
    packed = tmp_path / "papers.v2.jsonl.gz"
    packed.write_bytes(gzip.compress(b'{"abstract": "one"}\n\n{"abstract": "two"}\n'))

    assert [r.id for r in read_jsonl(packed, FIELDS)] == ["papers.v2:1", "papers.v2:3"]


def test_invalid_json_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(f'{{"abstract": "{ABSTRACT}"}}\n\n{{"abstract": "x",}}\n', "utf-8")

    with pytest.raises(InputError, match=r"bad\.jsonl:3: not valid JSON \(.+ at column \d+\)"):
        list(read_jsonl(path, FIELDS))


def test_non_object_line_is_an_error(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "list.jsonl", [{"abstract": ABSTRACT}, [1, 2]])

    with pytest.raises(
        InputError, match=r"list\.jsonl:2: expected one JSON object per line, got a list"
    ):
        list(read_jsonl(path, FIELDS))


def test_missing_text_field_names_field_and_found_keys(tmp_path: Path) -> None:
    path = _write_jsonl(
        tmp_path / "data.jsonl", [{"id": 1, "abstract": ABSTRACT}, {"id": 2, "Abstract": "x"}]
    )

    with pytest.raises(InputError) as caught:
        list(read_jsonl(path, FIELDS))

    message = str(caught.value)
    assert f"{path}:2: record has no 'abstract' field (corpus.fields.text)" in message
    assert "found keys: id, Abstract." in message
    assert "Did you mean 'Abstract'?" in message
    assert "\n" not in message


def test_nested_value_is_an_error_naming_the_field(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "n.jsonl", [{"abstract": ["para 1", "para 2"]}])

    with pytest.raises(InputError, match=r"n\.jsonl:1: field 'abstract' holds a list"):
        list(read_jsonl(path, FIELDS))


def test_nan_and_null_optional_values_become_none(tmp_path: Path) -> None:
    path = tmp_path / "nan.jsonl"
    path.write_text('{"abstract": "A text.", "label": NaN, "title": null}\n', "utf-8")

    (record,) = read_jsonl(path, FIELDS)

    assert record.label is None and record.title is None


# --------------------------------------------------------------------------------------------
# undecodable bytes and broken gzip


MARKER = "translated by 谷歌翻译".encode()
GOOD_JSON_LINE = b'{"abstract": "fine"}\n'


@pytest.mark.parametrize(
    ("name", "reader", "content", "line"),
    [
        ("seed.txt", read_seed, b"One.\n" + MARKER + b"\ncaf\xe9 au lait\n" + MARKER, 3),
        # Far past the first decoder buffer, so the line is found, not guessed from a chunk.
        ("data.jsonl", read_jsonl, GOOD_JSON_LINE * 3000 + b'{"abstract": "caf\xe9"}\n', 3001),
        ("data.csv", read_csv, b"id,abstract\n1,fine\n2,caf\xe9\n3,fine\n", 3),
    ],
)
def test_undecodable_bytes_name_file_and_line(
    tmp_path: Path, name: str, reader: object, content: bytes, line: int
) -> None:
    path = tmp_path / name
    path.write_bytes(content)  # 0xe9 is Latin-1 "é", invalid as UTF-8 here

    expected = rf"{re.escape(name)}:{line}: not valid UTF-8 \(byte 0xe9 at column"
    with pytest.raises(InputError, match=expected):
        list(reader(path, FIELDS))  # type: ignore[operator]


def test_corrupt_gzip_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"abstract": "x"}\n' * 100)[:40])

    with pytest.raises(InputError, match=r"broken\.jsonl\.gz(:\d+)?: not a readable gzip file"):
        list(read_jsonl(path, FIELDS))


# --------------------------------------------------------------------------------------------
# csv


def test_csv_reads_rows_with_quoted_multiline_cells(tmp_path: Path) -> None:
    path = tmp_path / "papers.csv"
    path.write_text(
        "\ufeffid,title,abstract,date\r\n"
        'a,"Title, with comma","First line\r\nsecond line",2008\r\n'
        "\r\n"
        ',,"我们提出一种方法",\r\n',
        "utf-8",
    )

    records = list(read_csv(path, FIELDS))

    assert [(r.id, r.title, r.text, r.date, r.source) for r in records] == [
        ("a", "Title, with comma", "First line\nsecond line", "2008", f"{path}:2"),
        ("papers:5", None, "我们提出一种方法", None, f"{path}:5"),
    ]


def test_csv_without_text_column_lists_columns(tmp_path: Path) -> None:
    path = tmp_path / "papers.csv"
    path.write_text("id,summary,year\n1,text,2000\n", "utf-8")

    with pytest.raises(
        InputError,
        match=r"papers\.csv:1: no 'abstract' column \(corpus\.fields\.text\); "
        r"found columns: id, summary, year\.",
    ):
        list(read_csv(path, FIELDS))


def test_empty_csv_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("", "utf-8")

    with pytest.raises(InputError, match="empty file, expected a header row"):
        list(read_csv(path, FIELDS))


# --------------------------------------------------------------------------------------------
# parquet


def test_parquet_reads_columns_and_coerces_types(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "papers.parquet"
    table = pa.table(
        {
            "id": ["p1", None, "p3"],
            "abstract": [ABSTRACT, "第二篇摘要。", "Third."],
            "title": ["T1", None, "T3"],
            "date": pa.array([dt.date(2020, 1, 2), None, dt.date(2021, 5, 6)], pa.date32()),
            "label": pa.array([1, 2, None], pa.int64()),
            "ignored": [1.5, 2.5, 3.5],
        }
    )
    pq.write_table(table, path)

    records = list(read_parquet(path, FIELDS))

    assert records == [
        RawRecord("p1", ABSTRACT, "T1", "2020-01-02", "1", f"{path}:1"),
        RawRecord("papers:2", "第二篇摘要。", None, None, "2", f"{path}:2"),
        RawRecord("p3", "Third.", "T3", "2021-05-06", None, f"{path}:3"),
    ]


def test_parquet_without_text_column_lists_columns(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"id": ["a"], "body": ["text"]}), path)

    with pytest.raises(InputError, match=r"no 'abstract' column .* found columns: id, body\."):
        list(read_parquet(path, FIELDS))


def test_file_that_is_not_parquet_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "fake.parquet"
    path.write_text("id,abstract\n", "utf-8")

    with pytest.raises(InputError, match=r"fake\.parquet: not a readable Parquet file"):
        list(read_parquet(path, FIELDS))


# --------------------------------------------------------------------------------------------
# damaged files: one line naming the file (and the line or row group), never a traceback


def _gzip_jsonl(lines: int) -> bytes:
    rows = (json.dumps({"abstract": f"{ABSTRACT} Number {n}."}) + "\n" for n in range(lines))
    return gzip.compress("".join(rows).encode("utf-8"))


def test_truncated_gzip_names_the_last_line_read(tmp_path: Path) -> None:
    packed = _gzip_jsonl(5000)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(packed[: len(packed) // 2])  # a download that stopped half-way

    with pytest.raises(InputError) as caught:
        list(read_jsonl(path, FIELDS))

    message = str(caught.value)
    match = re.fullmatch(
        rf"{re.escape(str(path))}:(\d+): not a readable gzip file: the compressed data is "
        r"truncated or corrupt after line (\d+) \(Compressed file ended before the "
        r"end-of-stream marker was reached\)\. Re-create or re-download the file\.",
        message,
    )
    assert match, message
    assert int(match.group(1)) == int(match.group(2)) + 1
    assert 100 < int(match.group(2)) < 5000  # some lines were read, not all


def test_damaged_deflate_data_is_an_input_error(tmp_path: Path) -> None:
    packed = bytearray(_gzip_jsonl(50))
    packed[10] = 0xFF  # the first deflate block header: "invalid block type" (zlib.error)
    path = tmp_path / "bad.csv.gz"
    path.write_bytes(bytes(packed))

    with pytest.raises(InputError, match=r"bad\.csv\.gz: not a readable gzip file \(Error -3"):
        list(read_csv(path, FIELDS))


def test_invalid_utf8_inside_gzip_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl.gz"
    path.write_bytes(gzip.compress(GOOD_JSON_LINE * 5 + b'{"abstract": "caf\xe9"}\n'))

    with pytest.raises(InputError, match=r"latin1\.jsonl\.gz:6: not valid UTF-8 \(byte 0xe9"):
        list(read_jsonl(path, FIELDS))


@pytest.mark.parametrize(
    ("content", "line", "reason"),
    [
        # An opening quote that never closes used to swallow the rest of the file as one cell.
        ('id,abstract\n1,fine text\n2,"never closed\n3,more\n4,rows\n', 3, "unexpected end of"),
        ('id,abstract\n1,"quoted"trailing\n', 2, "',' expected after '\"'"),
    ],
)
def test_bad_csv_quoting_names_the_row(
    tmp_path: Path, content: str, line: int, reason: str
) -> None:
    path = tmp_path / "quotes.csv"
    path.write_text(content, "utf-8")

    with pytest.raises(InputError) as caught:
        list(read_csv(path, FIELDS))

    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: not valid CSV in the row starting on this line (")
    assert reason in message and "\n" not in message


def _damage_row_group(path: Path, group: int) -> None:
    """Overwrite the middle of one row group's column data with junk bytes."""
    import pyarrow.parquet as pq

    column = pq.ParquetFile(path).metadata.row_group(group).column(0)
    start = column.data_page_offset + column.total_compressed_size // 2
    raw = bytearray(path.read_bytes())
    raw[start : start + 64] = b"\xab" * 64
    path.write_bytes(bytes(raw))


def test_corrupt_parquet_row_group_is_named(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "papers.parquet"
    texts = [f"{ABSTRACT} Number {n}." for n in range(3000)]
    pq.write_table(
        pa.table({"abstract": texts}),
        path,
        row_group_size=1000,
        compression="none",
        use_dictionary=False,  # so the data page holds the texts themselves
    )
    _damage_row_group(path, 1)

    read: list[RawRecord] = []
    with pytest.raises(InputError) as caught:
        read.extend(read_parquet(path, FIELDS))

    assert str(caught.value).startswith(
        f"{path}:1001: row group 2 of 3 (rows 1001-2000) is corrupt or unreadable ("
    )
    assert [r.text for r in read] == texts[:1000]  # the intact first row group was read


def test_empty_files_of_every_format(tmp_path: Path) -> None:
    for name, reader in [("e.jsonl", read_jsonl), ("e.jsonl.gz", read_jsonl)]:
        path = tmp_path / name
        path.write_bytes(b"" if name.endswith(".jsonl") else gzip.compress(b""))
        assert list(reader(path, FIELDS)) == []  # the loader then says "no documents found"
    (tmp_path / "e.parquet").write_bytes(b"")
    with pytest.raises(InputError, match=r"e\.parquet: not a readable Parquet file"):
        list(read_parquet(tmp_path / "e.parquet", FIELDS))
