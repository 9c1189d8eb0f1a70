"""The on-disk cache: per-document vectors, resumable batches, atomic array files."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from topics.cache import ArrayCache, VectorStore, embed_with_store
from topics.hashing import text_hash


def fake_vectors(texts: list[str]) -> np.ndarray:
    """A deterministic stand-in for an embedder: the cache must not care what made the rows."""
    return np.array([[len(t), sum(map(ord, t)) % 97, 1.0] for t in texts], dtype=np.float32)


def keys(texts: list[str]) -> list[str]:
    return [text_hash(t) for t in texts]


def test_only_missing_documents_are_embedded(tmp_path: Path) -> None:
    texts = ["alpha", "beta", "gamma", "delta"]
    store = VectorStore(tmp_path, "fp-1")
    calls: list[list[int]] = []

    def embed(rows: list[int]) -> np.ndarray:
        calls.append(rows)
        return fake_vectors([texts[r] for r in rows])

    first, computed = embed_with_store(keys(texts[:2]), embed, store, batch_size=10)
    assert computed == 2
    calls.clear()
    second, computed = embed_with_store(keys(texts), embed, store, batch_size=10)
    assert computed == 2 and calls == [[2, 3]]
    np.testing.assert_array_equal(second[:2], first)
    np.testing.assert_array_equal(second, fake_vectors(texts))


def test_a_lookup_reads_vectors_only_from_shards_that_hold_a_wanted_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A small feed looked up in a large cache must not read every shard's vectors."""
    texts = [f"abstract {number}" for number in range(12)]
    store = VectorStore(tmp_path, "fp-1")
    for start in range(0, 12, 4):  # three shards of four rows
        store.add(keys(texts[start : start + 4]), fake_vectors(texts[start : start + 4]))
    store.add(keys(["abstract 5", "abstract 5"]), fake_vectors(["x", "y"]))  # a later copy
    members: list[str] = []
    read = np.lib.npyio.NpzFile.__getitem__

    def spy(self, key: str):  # noqa: ANN001, ANN202
        members.append(key)
        return read(self, key)

    monkeypatch.setattr(np.lib.npyio.NpzFile, "__getitem__", spy)
    wanted = ["abstract 5", "abstract 6", "not cached"]
    vectors, found = store.lookup(keys(wanted))
    assert found.tolist() == [True, True, False]
    assert members.count("keys") == 4 and members.count("vectors") in (1, 2)
    # Shard order is by file name: whichever holds "abstract 5" first wins, with its own row.
    assert vectors[1].tolist() == fake_vectors(["abstract 6"])[0].tolist()
    assert vectors[0].tolist() in (
        fake_vectors(["abstract 5"])[0].tolist(),
        fake_vectors(["x"])[0].tolist(),
    )
    assert vectors[2].tolist() == [0.0, 0.0, 0.0]


def test_fingerprint_separates_models(tmp_path: Path) -> None:
    key = keys(["a text"])
    embed_with_store(key, lambda rows: fake_vectors(["a text"]), VectorStore(tmp_path, "m1"), 4)
    vectors, found = VectorStore(tmp_path, "m1").lookup(key)
    assert found.tolist() == [True]
    np.testing.assert_array_equal(vectors, fake_vectors(["a text"]))
    # The same text under another model's fingerprint was never stored: a miss.
    vectors, found = VectorStore(tmp_path, "m2").lookup(key)
    assert vectors is None and not found.any()


def test_interrupted_embedding_keeps_finished_batches(tmp_path: Path) -> None:
    texts = [f"document {i}" for i in range(10)]
    store = VectorStore(tmp_path, "fp")

    def failing(rows: list[int]) -> np.ndarray:
        if rows[0] >= 6:
            raise KeyboardInterrupt
        return fake_vectors([texts[r] for r in rows])

    with contextlib.suppress(KeyboardInterrupt):
        embed_with_store(keys(texts), failing, store, batch_size=3)
    _, found = store.lookup([text_hash(t) for t in texts])
    assert found.tolist() == [True] * 6 + [False] * 4
    assert not list((tmp_path / "embeddings").rglob(".tmp-*"))


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: b"not a zip file",
        lambda data: data[: len(data) // 2],  # truncated: starts like a zip, is not one
        lambda data: data[:-30],  # central directory cut off
    ],
    ids=["garbage", "half", "tail-cut"],
)
def test_corrupt_shard_is_a_miss_not_a_crash(tmp_path: Path, damage) -> None:
    store = VectorStore(tmp_path, "fp")
    key = keys(["x y z"])
    embed_with_store(key, lambda rows: fake_vectors(["x y z"]), store, 4)
    assert store.lookup(key)[1].tolist() == [True]
    shard = next((tmp_path / "embeddings").rglob("shard-*.npz"))
    shard.write_bytes(damage(shard.read_bytes()))
    vectors, found = store.lookup(key)
    assert vectors is None and not found.any()
    # The next run embeds it again and the store heals.
    _, computed = embed_with_store(key, lambda rows: fake_vectors(["x y z"]), store, 4)
    assert computed == 1 and store.lookup(key)[1].tolist() == [True]


def test_array_cache_round_trip_and_disabled(tmp_path: Path) -> None:
    cache = ArrayCache(tmp_path, "umap")
    assert cache.get("k") is None
    cache.put("k", np.arange(6, dtype=np.float32).reshape(3, 2))
    np.testing.assert_array_equal(cache.get("k"), np.arange(6).reshape(3, 2))
    disabled = ArrayCache(None, "umap")
    disabled.put("k", np.zeros(2))
    assert disabled.get("k") is None


def test_json_cache_round_trip_and_corruption(tmp_path: Path) -> None:
    from topics.cache import JsonCache

    cache = JsonCache(tmp_path, "tokens")
    cache.put("k", ["模型 训练", "graph neural"])
    assert cache.get("k") == ["模型 训练", "graph neural"]
    (tmp_path / "tokens" / "k.json.gz").write_bytes(b"\x1f\x8b broken")
    assert cache.get("k") is None
    assert JsonCache(None, "tokens").get("k") is None


def test_disabled_stores_write_nothing(tmp_path: Path) -> None:
    from topics.cache import JsonCache

    texts = ["alpha", "beta"]
    store = VectorStore(None, "fp")
    vectors, computed = embed_with_store(
        keys(texts), lambda rows: fake_vectors([texts[r] for r in rows]), store, 1
    )
    assert computed == 2
    np.testing.assert_array_equal(vectors, fake_vectors(texts))
    assert store.lookup(keys(texts))[1].tolist() == [False, False]
    _, computed = embed_with_store(
        keys(texts), lambda rows: fake_vectors([texts[r] for r in rows]), store, 1
    )
    assert computed == 2
    JsonCache(None, "tokens").put("k", ["x"])
    assert JsonCache(None, "tokens").get("k") is None


def test_cache_disabled_run_writes_no_cache_file(tmp_path: Path) -> None:
    """``cache.enabled: false``: a whole run (TF-IDF, no model download) leaves no cache."""
    from tests.conftest import make_config
    from topics.pipeline import run_pipeline

    config = make_config(
        tmp_path,
        "cache.enabled=false",
        "embedding.backend=tfidf",
        "output.report=false",
        "output.save_model=false",
    )
    result = run_pipeline(config)
    assert (result.run_dir / "documents.parquet").is_file()
    assert not (tmp_path / "cache").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]


def test_stale_temp_files_of_killed_writers_are_removed(tmp_path: Path) -> None:
    store = VectorStore(tmp_path, "fp")
    assert store.folder is not None
    store.folder.mkdir(parents=True)
    stale = store.folder / ".shard-abc.npz.4242.x1y2.tmp"
    fresh = store.folder / ".shard-def.npz.4243.x3y4.tmp"  # a live writer's, just created
    for path in (stale, fresh):
        path.write_bytes(b"half a shard")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    embed_with_store(keys(["t"]), lambda rows: fake_vectors(["t"]), store, 4)
    assert not stale.exists() and fresh.exists()


WRITER = """
import sys
import numpy as np
from pathlib import Path
from topics.cache import VectorStore, embed_with_store
from topics.hashing import text_hash

texts = [f"document {i}" for i in range(300)]
order = texts if sys.argv[2] == "forward" else texts[::-1]
store = VectorStore(Path(sys.argv[1]), "shared-fp")
for start in range(0, 300, 30):
    part = order[start : start + 30]
    # Each process embeds everything itself, in its own order and batch size.
    embed_with_store(
        [text_hash(t) for t in part],
        lambda rows: np.array([[len(part[r]), sum(map(ord, part[r])) % 97, 1.0] for r in rows]),
        VectorStore(Path(sys.argv[1]), "shared-fp"),
        int(sys.argv[3]),
    )
"""


def test_two_processes_filling_one_store_leave_it_consistent(tmp_path: Path) -> None:
    """Defect 9c: two runs sharing one cache folder write it at the same time."""
    from tests.conftest import ROOT

    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), way, size], cwd=ROOT)
        for way, size in (("forward", "3"), ("backward", "7"))
    ]
    assert [writer.wait(timeout=300) for writer in writers] == [0, 0]
    texts = [f"document {i}" for i in range(300)]
    vectors, found = VectorStore(tmp_path, "shared-fp").lookup(keys(texts))
    assert found.all()
    np.testing.assert_array_equal(vectors, fake_vectors(texts))
    folder = VectorStore(tmp_path, "shared-fp").folder
    assert folder is not None
    assert not list(folder.glob(".*"))  # no temp file left
    for shard in folder.glob("shard-*.npz"):
        with np.load(shard) as data:
            assert len(data["keys"]) == len(data["vectors"]) > 0
    assert (folder / "fingerprint.txt").read_text("utf-8") == "shared-fp\n"
