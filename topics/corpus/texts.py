"""Document texts kept on disk: a run's texts without a million Python strings in memory.

A million abstracts are ~1 GB of Python strings, held for the whole run although each stage
reads them once or twice (embedding, the core's tokens, the lexical block, the output writer).
:class:`TextFile` writes them as UTF-8, back to back, to an unlinked temporary file while the
corpus is read; :class:`DiskTexts` is a read-only sequence over some of its rows (the corpus's
order, a subset) that reads a text with one ``pread`` when asked. Stages take any sequence of
strings, so an in-memory ``list`` (a small corpus, a test, the Python API) works the same.

Pickling a :class:`DiskTexts` (a Dask task) sends a plain list of its texts.
"""

from __future__ import annotations

import os
import tempfile
from array import array
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, overload

import numpy as np

_PREAD = getattr(os, "pread", None)


class TextFile:
    """Append-only store of texts in an unlinked temporary file in ``folder``.

    The file disappears when the last :class:`DiskTexts` over it is collected (or the process
    ends, however it ends).
    """

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        # Open as long as the store lives: the unlinked file goes when the handle is collected.
        self._handle = tempfile.TemporaryFile(dir=folder, prefix="topics-texts-")  # noqa: SIM115
        self._ends = array("q")  # end offset of each text (8 bytes per document)
        self._size = 0

    def __len__(self) -> int:
        return len(self._ends)

    def append(self, text: str) -> int:
        """Store ``text``; returns its row."""
        data = text.encode("utf-8")
        self._handle.write(data)
        self._size += len(data)
        self._ends.append(self._size)
        return len(self._ends) - 1

    def read(self, row: int) -> str:
        """The text at ``row``."""
        start = self._ends[row - 1] if row > 0 else 0
        stop = self._ends[row]
        if _PREAD is not None:
            return _PREAD(self._handle.fileno(), stop - start, start).decode("utf-8")
        self._handle.seek(start)  # no pread (Windows): one reader at a time, as everywhere here
        data = self._handle.read(stop - start)
        self._handle.seek(0, os.SEEK_END)  # appends continue at the end
        return data.decode("utf-8")

    def texts(self, rows: Sequence[int] | np.ndarray) -> DiskTexts:
        """A sequence of the texts at ``rows`` (in that order)."""
        self._handle.flush()  # buffered writes must reach the file before any pread
        return DiskTexts(self, np.asarray(rows, dtype=np.int64))


class DiskTexts(Sequence[str]):
    """Texts of some rows of a :class:`TextFile`, read on demand.

    ``texts[i]`` is one read; ``texts[a:b]`` and iteration read row by row; :meth:`take`
    reorders or subsets without reading anything.
    """

    def __init__(self, store: TextFile, rows: np.ndarray) -> None:
        self._store, self._rows = store, rows

    def __len__(self) -> int:
        return int(self._rows.size)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self._store.read(int(row)) for row in self._rows[index]]
        return self._store.read(int(self._rows[index]))

    def __iter__(self) -> Iterator[str]:
        read = self._store.read
        for row in self._rows.tolist():
            yield read(row)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DiskTexts | list | tuple):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable-looking sequence, like list

    def take(self, positions: Sequence[int] | np.ndarray) -> DiskTexts:
        """The texts at ``positions`` of this sequence, still on disk."""
        return DiskTexts(self._store, self._rows[np.asarray(positions, dtype=np.int64)])

    def __reduce__(self) -> tuple[Any, ...]:
        return (list, (list(self),))

    def __repr__(self) -> str:
        return f"DiskTexts({len(self)} texts)"


def take_texts(texts: Sequence[str], positions: Sequence[int] | np.ndarray) -> Sequence[str]:
    """``[texts[i] for i in positions]``, kept on disk when ``texts`` is."""
    if isinstance(texts, DiskTexts):
        return texts.take(positions)
    return [texts[int(i)] for i in positions]
