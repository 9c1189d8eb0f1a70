"""The corpus's packed columns (sources, text hashes) behave like the lists they replace."""

from __future__ import annotations

import pytest

from topics.corpus.columns import HexDigests, PackedStrings, StringArray
from topics.hashing import digest, text_hash

TEXTS = ["alpha", "深度学习", "", "beta\u202e", "gamma", "x" * 300]


def test_string_array_reads_back_every_string_and_subsets() -> None:
    values = [f"/data/文件 {i}.jsonl:{i * 7}" for i in range(50)] + ["", "tail\ud800"]
    building = PackedStrings()
    for value in ["dropped", *values]:
        building.append(value)
    packed = building.packed(range(1, len(values) + 1))  # as the loader keeps its sources
    assert isinstance(packed, StringArray)
    assert len(packed) == len(values) and list(packed) == values and packed == values
    assert packed[0] == values[0] and packed[-1] == values[-1] and packed[3:6] == values[3:6]
    assert packed.take([51, 0, 7]) == [values[51], values[0], values[7]]
    assert packed != values[:-1] and packed != values[::-1]
    with pytest.raises(IndexError):
        packed[len(values)]


def test_hex_digests_are_the_text_hashes_and_sort_like_them() -> None:
    hashes = [text_hash(text) for text in TEXTS]
    packed = HexDigests.from_hex(hashes)
    assert list(packed) == hashes and packed == hashes and packed[2] == hashes[2]
    assert packed.take([4, 1]) == [hashes[4], hashes[1]]
    assert [hashes[i] for i in packed.argsort()] == sorted(hashes)
    # Cache keys digest the hashes: packed or listed, the key is the same.
    assert digest("embed", packed) == digest("embed", hashes)
    assert digest("embed", packed.take([1, 0])) != digest("embed", hashes)
    # Bytes keep their old rendering (str), so the core's UMAP cache keys did not move.
    assert digest("core", b"\x00\x01") == digest("core", str(b"\x00\x01"))


def test_hex_digests_order_bytes_that_differ_late_or_by_zeros() -> None:
    raw = ["00" * 16, "00" * 15 + "01", "00" * 8 + "ff" + "00" * 7, "ff" * 16, "7f" + "00" * 15]
    packed = HexDigests.from_hex(raw)
    assert [raw[i] for i in packed.argsort()] == sorted(raw)
