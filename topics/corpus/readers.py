"""Corpus readers: one generator per input format, registered in ``topics.registry.readers``.

Every reader has the signature ``read(path, fields) -> Iterator[RawRecord]`` and yields the
records of one file in file order, raw (cleaning happens in :mod:`topics.corpus.load`). Every
problem a user can fix raises :class:`~topics.errors.InputError` with a one-line message that
starts with ``file:line``.

Formats
-------
seed
    Plain UTF-8 text; each abstract is a paragraph closed by a line reading
    ``translated by 谷歌翻译`` (case, surrounding and repeated whitespace ignored; the marker
    may also end the abstract's last line). Blank lines do not split an abstract, so
    double-spaced files read the same as single-spaced ones. A non-empty paragraph left open
    at the end of the file is kept: it is still an abstract whose marker was cut off. A file
    with no marker at all is read as one abstract per blank-line-separated paragraph, since
    one giant document is never what was meant. Ids are ``<file stem>:<n>`` (n counts the
    file's abstracts from 1).
jsonl
    One JSON object per line (``.jsonl``, ``.ndjson``, optionally gzip-compressed); blank
    lines are skipped. Fields come from ``corpus.fields``; only the text field is required.
csv
    UTF-8 CSV with a header row (``.csv``, optionally gzip-compressed), read with the
    standard :mod:`csv` module so every cell stays a string.
parquet
    Read with pyarrow in batches; ``source`` gives the 1-based row instead of a line.

Missing ids become ``<file stem>:<line>`` (``<file stem>:<row>`` for Parquet).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from topics.common import did_you_mean
from topics.config import FieldsSection
from topics.corpus.files import open_text
from topics.errors import InputError
from topics.registry import readers
from topics.text.han import HAN_CHARS

SEED_MARKER = "translated by 谷歌翻译"
"""The line that closes each abstract in the seed format."""


ReaderT = TypeVar("ReaderT", bound=Callable[..., Any])


def reader(name: str, suffixes: tuple[str, ...] = ()) -> Callable[[ReaderT], ReaderT]:
    """Register a reader as ``corpus.format: <name>``; ``corpus.format: auto`` gives it the
    files whose names end with one of ``suffixes`` (case-insensitive)."""

    def decorator(function: ReaderT) -> ReaderT:
        function.suffixes = tuple(suffixes)  # type: ignore[attr-defined]
        return readers.register(name)(function)

    return decorator


def format_suffixes() -> dict[str, tuple[str, ...]]:
    """File endings each registered reader reads, in registration order (built-ins first)."""
    return {name: getattr(read, "suffixes", ()) for name, read in readers.entries().items()}


@dataclass(frozen=True)
class RawRecord:
    """One record as read from a file, before cleaning.

    Attributes
    ----------
    id:
        The record's id, or ``<file stem>:<line>`` when the data has none.
    text:
        The abstract as found (may be empty; the loader drops short texts).
    title, date, label:
        Optional fields, ``None`` when absent or empty.
    source:
        ``"path:line"`` of the record's first line (``"path:row"`` for Parquet).
    """

    id: str
    text: str
    title: str | None = None
    date: str | None = None
    label: str | None = None
    source: str = ""


def format_for_path(path: Path) -> str | None:
    """Return the format whose suffixes match ``path`` (case-insensitive), else ``None``."""
    name = path.name.lower()
    for name_of_format, suffixes in format_suffixes().items():
        if suffixes and name.endswith(suffixes):
            return name_of_format
    return None


def file_stem(path: Path) -> str:
    """``path``'s name without its format suffix (``c.jsonl.gz`` → ``c``), for default ids."""
    name = path.name
    for suffixes in format_suffixes().values():
        for suffix in suffixes:
            if name.lower().endswith(suffix) and len(name) > len(suffix):
                return name[: -len(suffix)]
    return path.stem


# --------------------------------------------------------------------------------------------
# Shared helpers


def _short(value: object, limit: int = 40) -> str:
    """One-line, bounded rendering of untrusted text for an error message."""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _key_list(keys: Iterable[object], limit: int = 20) -> str:
    shown = [_short(key) for key in keys]
    more = f", … ({len(shown) - limit} more)" if len(shown) > limit else ""
    return (", ".join(shown[:limit]) or "none") + more


def _as_text(value: Any, where: str, field: str) -> str | None:
    """Coerce a field value to text: numbers and dates become strings, null/NaN become None."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        # 2008.0 from a float column is the year 2008, not a fraction.
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{where}: field '{_short(field)}' is not UTF-8 text.") from None
    raise InputError(
        f"{where}: field '{_short(field)}' holds a {type(value).__name__}, expected text "
        f"(got {_short(value)})."
    )


def _optional(value: str | None) -> str | None:
    return value if value is not None and value.strip() else None


def _record(
    values: dict[str, Any], fields: FieldsSection, where: str, default_id: str
) -> RawRecord:
    """Build a :class:`RawRecord` from a mapping that is known to hold the text field."""
    text = _as_text(values.get(fields.text), where, fields.text) or ""
    record_id = _optional(_as_text(values.get(fields.id), where, fields.id))
    return RawRecord(
        id=record_id.strip() if record_id else default_id,
        text=text,
        title=_optional(_as_text(values.get(fields.title), where, fields.title)),
        date=_optional(_as_text(values.get(fields.date), where, fields.date)),
        label=_optional(_as_text(values.get(fields.label), where, fields.label)),
        source=where,
    )


# --------------------------------------------------------------------------------------------
# seed


# Han, CJK punctuation and full-width forms: no space is put between two of them.
_CJK_EDGE = re.compile(f"[\u3000-\u303f\uff00-\uff65{HAN_CHARS}]")
# The marker alone on its line, or glued to the end of the abstract's last line.
_MARKER = re.compile(r"(?<![A-Za-z])translated\s+by\s+谷歌翻译\s*$", re.IGNORECASE)


def _join_lines(lines: list[str]) -> str:
    """Join a paragraph's lines; no space between two CJK characters (hard-wrapped Chinese)."""
    text = lines[0]
    for line in lines[1:]:
        glue = "" if _CJK_EDGE.match(text[-1:]) and _CJK_EDGE.match(line[:1]) else " "
        text = f"{text}{glue}{line}"
    return text


def _split_marker(line: str) -> tuple[str, bool]:
    """Return ``(text before the marker, whether the line ends with the marker)``."""
    match = _MARKER.search(line)
    return (line, False) if match is None else (line[: match.start()], True)


@reader("seed", (".txt",))
def read_seed(path: Path, fields: FieldsSection) -> Iterator[RawRecord]:
    """Read the seed format: paragraphs each closed by ``translated by 谷歌翻译``.

    Parameters
    ----------
    path:
        A UTF-8 text file.
    fields:
        Unused (the format has no fields); accepted for the common reader signature.

    Yields
    ------
    RawRecord
        One per abstract, id ``<file stem>:<n>``, source ``path:<first line>``.
    """
    del fields
    with open_text(path) as handle:
        lines = [line.rstrip("\r\n") for line in handle]
    has_marker = any(_split_marker(line)[1] for line in lines)
    paragraphs: list[tuple[int, list[str]]] = []
    current: list[str] = []
    first_line = 0
    for number, line in enumerate(lines, start=1):
        content, closes = _split_marker(line) if has_marker else (line, not line.strip())
        if content.strip():
            if not current:
                first_line = number
            current.append(content.strip())
        if closes and current:
            paragraphs.append((first_line, current))
            current = []
    if current:  # no closing marker at the end of the file: still an abstract
        paragraphs.append((first_line, current))
    stem = file_stem(path)
    for count, (line_number, parts) in enumerate(paragraphs, start=1):
        yield RawRecord(
            id=f"{stem}:{count}", text=_join_lines(parts), source=f"{path}:{line_number}"
        )


# --------------------------------------------------------------------------------------------
# jsonl


@reader("jsonl", (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz"))
def read_jsonl(path: Path, fields: FieldsSection) -> Iterator[RawRecord]:
    """Read JSON Lines (optionally gzip-compressed), one object per line.

    Parameters
    ----------
    path:
        A ``.jsonl``/``.ndjson`` file, or the same with ``.gz``.
    fields:
        Which keys hold id, title, text, date and label; only the text key is required.

    Yields
    ------
    RawRecord
        One per non-blank line, source ``path:line``.

    Raises
    ------
    InputError
        On a line that is not JSON, not an object, or lacks the text field.
    """
    stem = file_stem(path)
    with open_text(path) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                values = json.loads(line)
            except json.JSONDecodeError as error:
                raise InputError(
                    f"{where}: not valid JSON ({error.msg} at column {error.colno})."
                ) from None
            except RecursionError:
                raise InputError(f"{where}: JSON nested too deeply.") from None
            if not isinstance(values, dict):
                raise InputError(
                    f"{where}: expected one JSON object per line, got a {type(values).__name__}."
                )
            if fields.text not in values:
                raise InputError(
                    f"{where}: record has no '{_short(fields.text)}' field (corpus.fields.text); "
                    f"found keys: {_key_list(values)}.{did_you_mean(fields.text, values)} "
                    "Set corpus.fields.text to the right key."
                )
            yield _record(values, fields, where, f"{stem}:{number}")


# --------------------------------------------------------------------------------------------
# csv


@reader("csv", (".csv", ".csv.gz"))
def read_csv(path: Path, fields: FieldsSection) -> Iterator[RawRecord]:
    """Read a UTF-8 CSV file with a header row (optionally gzip-compressed).

    Parameters
    ----------
    path:
        A ``.csv`` or ``.csv.gz`` file.
    fields:
        Which columns hold id, title, text, date and label; only the text column is required.

    Yields
    ------
    RawRecord
        One per data row, source ``path:line`` of the row's first line (quoted cells may
        span lines).
    """
    with open_text(path) as handle:
        # Universal newlines turn CRLF inside quoted cells into "\n"; cleaning makes it a
        # space anyway, and line_num stays a count of physical lines for the messages.
        # strict: a quote that never closes is an error, not a cell that swallows the file.
        reader = csv.reader(handle, strict=True)
        next_start = 1  # first line of the row being parsed, for messages
        try:
            header = next(reader, None)
            if header is None:
                raise InputError(f"{path}: empty file, expected a header row.")
            columns = [name.strip() for name in header]
            if fields.text not in columns:
                raise InputError(
                    f"{path}:1: no '{_short(fields.text)}' column (corpus.fields.text); found "
                    f"columns: {_key_list(columns)}.{did_you_mean(fields.text, columns)} "
                    "Set corpus.fields.text to the right column."
                )
            stem = file_stem(path)
            next_start = reader.line_num + 1
            for row in reader:
                # line_num is where the row ended; a quoted cell may span several lines.
                row_start, next_start = next_start, reader.line_num + 1
                if not any(cell.strip() for cell in row):
                    continue
                values = dict(zip(columns, row, strict=False))
                yield _record(values, fields, f"{path}:{row_start}", f"{stem}:{row_start}")
        except csv.Error as error:
            raise InputError(
                f"{path}:{next_start}: not valid CSV in the row starting on this line ({error}). "
                'Check its quotes: a cell that opens with " must close with " (write "" for a '
                "quote inside a cell)."
            ) from None


# --------------------------------------------------------------------------------------------
# parquet


@reader("parquet", (".parquet",))
def read_parquet(path: Path, fields: FieldsSection) -> Iterator[RawRecord]:
    """Read a Parquet file with pyarrow, in batches.

    Parameters
    ----------
    path:
        A ``.parquet`` file.
    fields:
        Which columns hold id, title, text, date and label; only the text column is required.

    Yields
    ------
    RawRecord
        One per row, source ``path:<row>`` (1-based).

    Raises
    ------
    InputError
        When the file is not Parquet, lacks the text column, or a row group cannot be decoded
        (the message names the row group and its rows).
    """
    import pyarrow as pa  # lazy: keep `import topics.corpus` cheap
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as error:
        raise InputError(f"{path}: not a readable Parquet file ({_short(error, 120)}).") from None
    columns = list(parquet.schema_arrow.names)
    if fields.text not in columns:
        raise InputError(
            f"{path}: no '{_short(fields.text)}' column (corpus.fields.text); found columns: "
            f"{_key_list(columns)}.{did_you_mean(fields.text, columns)} "
            "Set corpus.fields.text to the right column."
        )
    wanted = [
        name
        for name in dict.fromkeys([fields.id, fields.title, fields.text, fields.date, fields.label])
        if name in columns
    ]
    row, stem = 0, file_stem(path)
    groups = parquet.num_row_groups
    for group in range(groups):
        first_row = row + 1
        batches = parquet.iter_batches(batch_size=10_000, row_groups=[group], columns=wanted)
        while True:
            try:
                batch = next(batches, None)
                data = None if batch is None else batch.to_pydict()
            except (pa.ArrowException, OSError) as error:
                # A damaged row group: earlier ones were fine, so say which one and where.
                rows = parquet.metadata.row_group(group).num_rows
                raise InputError(
                    f"{path}:{first_row}: row group {group + 1} of {groups} (rows {first_row}-"
                    f"{first_row + rows - 1}) is corrupt or unreadable ({_short(error, 120)}). "
                    "Re-write the file."
                ) from None
            if batch is None or data is None:
                break
            for index in range(batch.num_rows):
                row += 1
                values = {name: data[name][index] for name in wanted}
                yield _record(values, fields, f"{path}:{row}", f"{stem}:{row}")
