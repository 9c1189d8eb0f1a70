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

    def packed(self, indices: Sequence[int]) -> StringArray:
        """The entries at ``indices`` (none of them ``None``) as a :class:`StringArray`, copied
        buffer to buffer: no Python string is made."""
        return _gather(memoryview(self._data), self._ends, indices)


def _gather(
    data: memoryview, ends: Sequence[int] | np.ndarray, indices: Sequence[int] | np.ndarray
) -> StringArray:
    """The entries at ``indices`` of strings packed in ``data`` (entry ``i`` ends at
    ``ends[i]``), packed anew."""
    ends = np.asarray(ends, dtype=np.int64)
    chosen = np.asarray(indices, dtype=np.int64)
    stops = ends[chosen]
    starts = np.where(chosen > 0, ends[chosen - 1], 0)
    out = bytearray(int((stops - starts).sum()))
    position = 0
    for start, stop in zip(starts.tolist(), stops.tolist(), strict=True):
        out[position : position + stop - start] = data[start:stop]
        position += stop - start
    return StringArray(bytes(out), np.cumsum(stops - starts))


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

    def digests_of(self, indices: Sequence[int]) -> HexDigests:
        """The text hashes of ``indices`` (:func:`topics.hashing.text_hash`, packed)."""
        digests = np.frombuffer(self.digests, dtype=np.uint8).reshape(-1, 16)
        return HexDigests(digests[np.asarray(indices, dtype=np.int64)])

    def column(self, name: str) -> np.ndarray:
        """A numeric column as an array (a view of the column's memory)."""
        return np.frombuffer(getattr(self, name), dtype=np.int32 if name == "files" else np.int64)


def _equal_sequences(packed: Sequence[str], other: object) -> bool:
    """A packed column equals any sequence of the same strings (a list in tests, say)."""
    if isinstance(other, Sequence) and not isinstance(other, str | bytes):
        return len(other) == len(packed) and all(a == b for a, b in zip(packed, other, strict=True))
    return NotImplemented


class StringArray(Sequence[str]):
    """A read-only sequence of strings kept back to back in one buffer (``"path:line"`` of a
    million documents: 40 MB instead of 92 MB as a list of str). ``take`` subsets without a
    Python object per entry."""

    def __init__(self, data: bytes, ends: np.ndarray) -> None:
        self._data, self._ends = data, np.asarray(ends, dtype=np.int64)

    def __len__(self) -> int:
        return len(self._ends)

    def _one(self, index: int) -> str:
        start = int(self._ends[index - 1]) if index > 0 else 0
        return self._data[start : int(self._ends[index])].decode("utf-8", "surrogatepass")

    def __getitem__(self, index):  # type: ignore[override]  # noqa: ANN001, ANN204
        if isinstance(index, slice):
            return [self._one(i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._one(index)

    def __iter__(self):  # noqa: ANN204
        return (self._one(index) for index in range(len(self)))

    def __eq__(self, other: object) -> bool:
        return _equal_sequences(self, other)

    __hash__ = None  # type: ignore[assignment]

    def take(self, positions: Sequence[int] | np.ndarray) -> StringArray:
        """The entries at ``positions``, copied buffer to buffer (no Python string is made)."""
        return _gather(memoryview(self._data), self._ends, positions)

    def __repr__(self) -> str:
        return f"StringArray({len(self)} strings)"


class HexDigests(Sequence[str]):
    """Text hashes as a read-only sequence of hex strings over 16 bytes per document.

    A million hashes as str objects take 85 MB for the whole run; here 16 MB, each hex string
    made when asked. Sorting by the bytes (:meth:`argsort`) orders them as their hex strings.
    """

    def __init__(self, digests: np.ndarray) -> None:
        self._digests = np.ascontiguousarray(digests, dtype=np.uint8).reshape(-1, 16)

    @classmethod
    def from_hex(cls, values: Sequence[str]) -> HexDigests:
        """Pack hex hashes (32 characters each)."""
        data = bytes.fromhex("".join(values))
        return cls(np.frombuffer(data, dtype=np.uint8))

    def __len__(self) -> int:
        return self._digests.shape[0]

    def __getitem__(self, index):  # type: ignore[override]  # noqa: ANN001, ANN204
        if isinstance(index, slice):
            return [row.tobytes().hex() for row in self._digests[index]]
        return self._digests[index].tobytes().hex()

    def __iter__(self):  # noqa: ANN204
        return (row.tobytes().hex() for row in self._digests)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, HexDigests):
            return np.array_equal(self._digests, other._digests)
        return _equal_sequences(self, other)

    __hash__ = None  # type: ignore[assignment]

    def take(self, positions: Sequence[int] | np.ndarray) -> HexDigests:
        """The hashes at ``positions``."""
        return HexDigests(self._digests[np.asarray(positions, dtype=np.int64)])

    def argsort(self) -> np.ndarray:
        """Positions that sort the hashes (as bytes, which is as hex strings; stable)."""
        words = self._digests.view(">u8")  # two big-endian 64-bit words per hash
        return np.lexsort((words[:, 1], words[:, 0]))

    def __repr__(self) -> str:
        return f"HexDigests({len(self)} hashes)"
