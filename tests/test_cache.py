"""The on-disk cache: per-document vectors, resumable batches, atomic array files."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np

from topics.cache import ArrayCache, VectorStore, embed_with_store, text_hash


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


def test_fingerprint_separates_models(tmp_path: Path) -> None:
    embed_with_store(
        keys(["a text"]), lambda rows: fake_vectors(["a text"]), VectorStore(tmp_path, "m1"), 4
    )
    vectors, found = VectorStore(tmp_path, "m2").lookup(["whatever"])
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


def test_corrupt_shard_is_a_miss_not_a_crash(tmp_path: Path) -> None:
    store = VectorStore(tmp_path, "fp")
    embed_with_store(keys(["x y z"]), lambda rows: fake_vectors(["x y z"]), store, 4)
    shard = next((tmp_path / "embeddings").rglob("shard-*.npz"))
    shard.write_bytes(b"not a zip file")
    vectors, found = store.lookup(["anything"])
    assert vectors is None and not found.any()


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
