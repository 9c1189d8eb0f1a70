"""The loader's per-document fields while it reads, in columns rather than objects.

A million documents read into a million small Python objects (a record, its key tuple, its
numbers) leave most of their memory behind when they are freed: the objects that live on
(ids, sources, hashes) were allocated in the same memory arenas, which can then never be handed
back (measured: 0.67 GB held after loading 1M abstracts, of which ~0.3 GB was the fields
themselves). Here each field is a typed array or one byte buffer, and the lists the corpus
keeps are made once, at the end, after the reading's temporaries are gone.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence

import numpy as np


class PackedStrings:
    """Strings (or ``None``) back to back in one buffer: no Python object per entry."""

    def __init__(self) -> None:
        self._data = bytearray()
        self._ends = array("q")  # end offset of each entry in _data
        self._missing = bytearray()  # 1 where the entry is None

    def __len__(self) -> int:
        return len(self._ends)

    def append(self, value: str | None) -> None:
        """Add ``value`` as the next entry."""
        if value is not None:
            self._data += value.encode("utf-8", "surrogatepass")
        self._ends.append(len(self._data))
        self._missing.append(value is None)

    def get(self, index: int) -> str | None:
        """The entry at ``index``."""
        if self._missing[index]:
            return None
        start = self._ends[index - 1] if index > 0 else 0
        return self._data[start : self._ends[index]].decode("utf-8", "surrogatepass")

    def take(self, indices: Sequence[int]) -> list[str | None]:
        """The entries at ``indices``, as a list."""
        return [self.get(index) for index in indices]


class Codes:
    """Values from a small set (languages, labels, dates) as one int per entry."""

    def __init__(self) -> None:
        self._codes = array("i")
        self._values: list[str | None] = []
        self._code_of: dict[str | None, int] = {}

    def __len__(self) -> int:
        return len(self._codes)

    def append(self, value: str | None) -> None:
        """Add ``value`` as the next entry."""
        code = self._code_of.get(value)
        if code is None:
            code = self._code_of[value] = len(self._values)
            self._values.append(value)
        self._codes.append(code)

    def get(self, index: int) -> str | None:
        """The entry at ``index``."""
        return self._values[self._codes[index]]

    def take(self, indices: Sequence[int]) -> list[str | None]:
        """The entries at ``indices``, as a list (equal values share one string)."""
        values, codes = self._values, self._codes
        return [values[codes[index]] for index in indices]


class Records:
    """Documents accepted while reading: each one's fields, file place and text's row.

    A record is added for each new text and for each duplicate that replaces the copy kept so
    far; which record each distinct text keeps is the caller's business. Records are added as
    they are read, so their indices are in reading order.
    """

    def __init__(self) -> None:
        self.files = array("i")  # which file (an index into the caller's list of files)
        self.ordinals = array("q")  # record number inside that file, from 1
        self.rows = array("q")  # the text's row in the text store
        self.digests = bytearray()  # 16-byte hash of each text
        self.langs = Codes()
        self.ids = PackedStrings()
        self.titles = PackedStrings()
        self.sources = PackedStrings()
        self.dates = Codes()
        self.labels = Codes()

    def __len__(self) -> int:
        return len(self.rows)

    def add(
        self,
        *,
        file: int,
        ordinal: int,
        row: int,
        digest: bytes,
        lang: str,
        id: str,  # noqa: A002 — the field's name
        title: str | None,
        source: str,
        date: str | None,
        label: str | None,
    ) -> int:
        """Store one record; returns its index."""
        self.files.append(file)
        self.ordinals.append(ordinal)
        self.rows.append(row)
        self.digests += digest
        self.langs.append(lang)
        self.ids.append(id)
        self.titles.append(title)
        self.sources.append(source)
        self.dates.append(date)
        self.labels.append(label)
        return len(self.rows) - 1

    def hexdigests(self, indices: Sequence[int]) -> list[str]:
        """The text hashes of ``indices`` as hex strings (:func:`topics.hashing.text_hash`)."""
        digests = self.digests
        return [digests[16 * index : 16 * index + 16].hex() for index in indices]

    def column(self, name: str) -> np.ndarray:
        """A numeric column as an array (a view of the column's memory)."""
        return np.frombuffer(getattr(self, name), dtype=np.int32 if name == "files" else np.int64)
