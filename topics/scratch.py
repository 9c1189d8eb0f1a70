"""Scratch arrays: a run's largest arrays in an unlinked file instead of the process's memory.

A million documents' vectors are 1 GB of float32. Held as an ordinary array they stay in the
process for the whole run; in a scratch array they live in a temporary file (deleted when the
array is, even after a crash: the file is unlinked as soon as it is made) that is mapped into
memory. Pages a stage touches count as the process's resident memory until they are released,
so every pass over a scratch array goes block by block (:func:`take_rows`) and hands the pages
back after each block (:func:`release`): they stay in the file (and the kernel's page cache),
and the process's peak no longer grows with the corpus.

Ordinary arrays go through the same functions unchanged, so no stage needs to know which kind
it was given.
"""

from __future__ import annotations

import mmap
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

#: Consecutive rows read at a time from a scratch array (64k rows of 256 float32 = 64 MB).
BLOCK_ROWS = 65_536
#: Rows gathered at a time by :func:`take_rows`. Each page fault on a mapped file maps up to
#: 64 KB around it (the kernel's fault-around), so a gather of scattered rows makes up to
#: 64 KB resident per row: 1,024 rows ≤ 64 MB. In one block, a 50k-row sample of a 1 GB
#: array made the whole 1 GB resident.
GATHER_ROWS = 1_024


def scratch_array(shape: tuple[int, ...], dtype: np.dtype | type, folder: Path) -> np.ndarray:
    """A zero-filled array of ``shape`` backed by an unlinked temporary file in ``folder``.

    ``folder`` should be on a disk, not a RAM-backed ``/tmp``: the run's cache folder or its
    output folder. An empty shape gets an ordinary array.
    """
    nbytes = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
    if nbytes == 0:
        return np.zeros(shape, dtype=dtype)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=folder, prefix="topics-scratch-") as handle:
        handle.truncate(nbytes)  # a sparse file: it reads as zeros and costs no disk yet
        mapping = mmap.mmap(handle.fileno(), nbytes)  # keeps its own descriptor
    return np.frombuffer(mapping, dtype=dtype).reshape(shape)


def allocator(folder: Path | None) -> Callable[[tuple[int, ...]], np.ndarray]:
    """``shape → float32 zeros``: a scratch array in ``folder``, or in memory when ``None``."""
    if folder is None:
        return lambda shape: np.zeros(shape, dtype=np.float32)
    return lambda shape: scratch_array(shape, np.float32, folder)


def _mapping(array: np.ndarray) -> mmap.mmap | None:
    """The memory map under ``array`` (through views), or ``None`` for an ordinary array."""
    base: object = array
    while base is not None:
        if isinstance(base, mmap.mmap):
            return base
        base = base.obj if isinstance(base, memoryview) else getattr(base, "base", None)
    return None


def is_scratch(array: object) -> bool:
    """True when ``array`` (or the array it is a view of) lives in a memory-mapped file."""
    return isinstance(array, np.ndarray) and _mapping(array) is not None


def release(array: np.ndarray) -> None:
    """Drop a scratch array's pages from this process's resident memory (data stays in the file).

    A no-op for ordinary arrays and where the platform has no ``madvise``.
    """
    mapping = _mapping(array) if isinstance(array, np.ndarray) else None
    if mapping is not None and hasattr(mapping, "madvise") and hasattr(mmap, "MADV_DONTNEED"):
        mapping.madvise(mmap.MADV_DONTNEED)


def take_rows(array: np.ndarray, rows: np.ndarray | list[int]) -> np.ndarray:
    """``array[rows]`` as an ordinary array; a scratch array is read :data:`GATHER_ROWS` at a time.

    Reading a scratch array in one fancy-indexing step would make every page it touches
    resident at once; block by block, at most one block's pages are.
    """
    rows = np.asarray(rows)
    rows = np.flatnonzero(rows) if rows.dtype == bool else rows.astype(np.int64, copy=False)
    if not is_scratch(array):
        return np.asarray(array)[rows]
    out = np.empty((rows.size, *array.shape[1:]), dtype=array.dtype)
    for start in range(0, rows.size, GATHER_ROWS):
        stop = start + GATHER_ROWS
        out[start:stop] = array[rows[start:stop]]
        release(array)
    return out
