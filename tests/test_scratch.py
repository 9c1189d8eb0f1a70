"""Scratch arrays (:mod:`topics.scratch`): file-backed, read in blocks, pages handed back."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from topics import scratch
from topics.cache import VectorStore, embed_with_store
from topics.embed.combined import combine_blocks, combine_in_blocks
from topics.hashing import text_hash


def test_scratch_array_is_zeros_in_an_unlinked_file(tmp_path: Path) -> None:
    array = scratch.scratch_array((1000, 8), np.float32, tmp_path)

    assert array.shape == (1000, 8) and array.dtype == np.float32 and not array.any()
    assert scratch.is_scratch(array) and scratch.is_scratch(array[10:20])
    assert not scratch.is_scratch(np.zeros(3)) and not scratch.is_scratch(np.asarray(array[:2]) + 1)
    assert list(tmp_path.iterdir()) == []  # unlinked: gone with the array, even after a crash
    assert scratch.scratch_array((0, 8), np.float32, tmp_path).shape == (0, 8)


def test_take_rows_equals_fancy_indexing_and_release_keeps_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scratch, "GATHER_ROWS", 7)  # many blocks
    values = np.random.default_rng(0).normal(size=(100, 5)).astype(np.float32)
    array = scratch.scratch_array(values.shape, np.float32, tmp_path)
    array[:] = values
    scratch.release(array)
    rows = np.random.default_rng(1).permutation(100)[:37]
    mask = np.zeros(100, dtype=bool)
    mask[rows] = True

    assert np.array_equal(scratch.take_rows(array, rows), values[rows])
    assert np.array_equal(scratch.take_rows(array, mask), values[mask])
    assert np.array_equal(scratch.take_rows(values, rows), values[rows])
    assert not scratch.is_scratch(scratch.take_rows(array, rows))
    assert np.array_equal(array, values)  # released pages read back from the file


def _rss_file_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssFile:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no RssFile line")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_release_hands_pages_back(tmp_path: Path) -> None:
    array = scratch.scratch_array((64, 1024, 1024), np.uint8, tmp_path)  # 64 MB
    before = _rss_file_mb()
    array[:] = 1
    written = _rss_file_mb()
    scratch.release(array)
    released = _rss_file_mb()

    assert written - before > 48  # the written pages are resident...
    assert written - released > 48  # ...until released
    assert int(array[63, 1023, 1023]) == 1


def test_embedding_into_a_scratch_array_gives_the_same_vectors(tmp_path: Path) -> None:
    texts = [f"document number {i}" for i in range(23)]
    keys = [text_hash(t) for t in texts]

    def embed(rows: list[int]) -> np.ndarray:
        return np.array([[len(texts[r]), r, 1.0] for r in rows], dtype=np.float32)

    store = VectorStore(tmp_path / "cache", "fp")
    embed_with_store(keys[:9], embed, store, 4)  # part of it cached: lookup + embed both fill
    in_memory, _ = embed_with_store(keys, embed, VectorStore(None, "fp"), 4)
    on_disk, computed = embed_with_store(
        keys, embed, store, 4, allocate=scratch.allocator(tmp_path / "scratch")
    )

    assert computed == 14 and scratch.is_scratch(on_disk)
    assert np.array_equal(on_disk, in_memory)


def test_combining_in_blocks_equals_combining_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("topics.embed.combined.BLOCK_ROWS", 6)
    rng = np.random.default_rng(2)
    first, second = rng.normal(size=(40, 4)), rng.normal(size=(40, 3))

    combined = combine_in_blocks([first, second], [1.0, 0.5], scratch.allocator(tmp_path))

    assert scratch.is_scratch(combined)
    assert np.allclose(combined, combine_blocks([first, second], [1.0, 0.5]))
