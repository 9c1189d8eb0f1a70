"""Opening corpus files: gzip by suffix, strict UTF-8, and one-line errors naming the line.

Every text reader (:mod:`topics.corpus.readers`) reads through :func:`open_text`, so a file
that is not UTF-8, or a truncated ``.gz``, fails the same way in every format.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from topics.errors import InputError


def first_bad_utf8_line(path: Path) -> tuple[int, int, str]:
    """``(line, column, byte)`` of the first byte sequence in ``path`` that is not UTF-8."""
    with open_binary(path) as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as error:
                column = len(raw[: error.start].decode("utf-8", errors="replace")) + 1
                return number, column, f"0x{raw[error.start]:02x}"
    return 0, 0, "?"  # pragma: no cover - only called after a decode error


@contextmanager
def open_binary(path: Path) -> Iterator[IO[bytes]]:
    if path.name.lower().endswith(".gz"):
        with gzip.open(path, "rb") as handle:
            yield handle
    else:
        with path.open("rb") as handle:
            yield handle


class CountedLines:
    """The lines of a text stream, counting how many were handed out (for error messages)."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.count = 0

    def __iter__(self) -> CountedLines:
        return self

    def __next__(self) -> str:
        line = next(self.stream)
        self.count += 1
        return line


@contextmanager
def open_text(path: Path) -> Iterator[CountedLines]:
    """Open ``path`` (gzip by suffix) as strict UTF-8 text lines, BOM dropped, universal newlines.

    Decoding and decompression errors surface while iterating; they become an
    :class:`InputError` naming the line: the first undecodable one (found by re-scanning the
    raw bytes), or the last line read before compressed data ended or broke.
    """
    lines: CountedLines | None = None
    try:
        with open_binary(path) as raw:
            lines = CountedLines(
                io.TextIOWrapper(raw, encoding="utf-8-sig", errors="strict", newline=None)
            )
            yield lines
    except UnicodeDecodeError:
        raise utf8_error(path) from None
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        read = lines.count if lines is not None else 0
        if read == 0:
            raise InputError(f"{path}: not a readable gzip file ({error}).") from None
        raise InputError(
            f"{path}:{read + 1}: not a readable gzip file: the compressed data is truncated or "
            f"corrupt after line {read} ({error}). Re-create or re-download the file."
        ) from None
    except OSError as error:
        raise InputError(f"{path}: cannot be read ({error.strerror or error}).") from None


def utf8_error(path: Path) -> InputError:
    """The one-line error for a file that is not UTF-8, naming its first bad line."""
    try:
        line, column, byte = first_bad_utf8_line(path)
    except (OSError, EOFError, zlib.error):
        # The bytes after the bad one are also unreadable (a damaged .gz): name the file only.
        return InputError(f"{path}: not valid UTF-8. Save the file as UTF-8.")
    return InputError(
        f"{path}:{line}: not valid UTF-8 (byte {byte} at column {column}). Save the file as UTF-8."
    )
