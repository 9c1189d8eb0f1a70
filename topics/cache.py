"""Content-addressed on-disk cache for embeddings and reductions.

Two stores, both written with write-to-temp-then-``os.replace`` so a killed process never leaves
a truncated file behind (a half-written temp file is ignored and cleaned up later):

* :class:`VectorStore` keeps document vectors per embedder fingerprint, keyed by the hash of each
  document's text. Vectors are written shard by shard as batches finish, so an interrupted
  embedding run resumes where it stopped, and a corpus that grows by ten abstracts embeds ten.
* :class:`ArrayCache` keeps whole arrays (UMAP outputs, 2-D maps) under a key derived from
  everything that determines them.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np


def text_hash(text: str) -> str:
    """Stable 128-bit hex digest of a document's text."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def digest(*parts: object) -> str:
    """Stable short digest of JSON-able parts (order matters)."""
    payload = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.blake2b(payload.encode("utf-8"), digest_size=12).hexdigest()


def atomic_save_npz(path: Path, **arrays: np.ndarray) -> None:
    """Write an ``.npz`` so that readers see either the old file, the new one, or none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".npz")
    try:
        with os.fdopen(handle, "wb") as stream:
            np.savez(stream, **arrays)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _load_npz(path: Path) -> dict[str, np.ndarray] | None:
    """Load a cache file; a corrupt or foreign file counts as a miss, not an error."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except (OSError, ValueError, EOFError):
        return None


class VectorStore:
    """Per-document vectors for one embedder, sharded on disk.

    Parameters
    ----------
    root:
        Cache folder (``cache.dir``); ``None`` disables the store (everything is a miss).
    fingerprint:
        The embedder's fingerprint: backend, model, version and every vector-changing setting.
    """

    def __init__(self, root: Path | None, fingerprint: str) -> None:
        self.fingerprint = fingerprint
        self.folder = None if root is None else Path(root) / "embeddings" / digest(fingerprint)

    def _shards(self) -> list[Path]:
        if self.folder is None or not self.folder.is_dir():
            return []
        return sorted(p for p in self.folder.glob("shard-*.npz"))

    def lookup(self, hashes: Sequence[str]) -> tuple[np.ndarray | None, np.ndarray]:
        """Return ``(vectors, found)``: cached rows for ``hashes`` and a boolean mask of hits.

        ``vectors`` is ``None`` when nothing was found; rows of misses are zero.
        """
        wanted = {h: i for i, h in enumerate(hashes)}
        found = np.zeros(len(hashes), dtype=bool)
        vectors: np.ndarray | None = None
        for shard in self._shards():
            data = _load_npz(shard)
            if data is None or "keys" not in data or "vectors" not in data:
                continue
            for row, key in enumerate(data["keys"].tolist()):
                position = wanted.get(key)
                if position is None or found[position]:
                    continue
                if vectors is None:
                    vectors = np.zeros((len(hashes), data["vectors"].shape[1]), dtype=np.float32)
                if data["vectors"].shape[1] != vectors.shape[1]:
                    continue
                vectors[position] = data["vectors"][row]
                found[position] = True
        return vectors, found

    def add(self, hashes: Sequence[str], vectors: np.ndarray) -> None:
        """Persist one batch of vectors as a new shard (no-op when the store is disabled)."""
        if self.folder is None or len(hashes) == 0:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        meta = self.folder / "fingerprint.txt"
        if not meta.exists():
            meta.write_text(self.fingerprint + "\n", encoding="utf-8")
        name = f"shard-{digest(list(hashes))}.npz"
        atomic_save_npz(
            self.folder / name,
            keys=np.asarray(list(hashes), dtype="U32"),
            vectors=np.asarray(vectors, dtype=np.float32),
        )


def embed_with_store(
    keys: Sequence[str],
    embed: Callable[[list[int]], np.ndarray],
    store: VectorStore,
    batch_size: int,
    progress: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, int]:
    """Fill a ``(n, d)`` matrix from the store, embedding only the misses, batch by batch.

    Parameters
    ----------
    keys:
        One cache key per row: the hash of the document's text (:func:`text_hash`).
    embed:
        Called with a list of row positions to embed; returns their vectors.
    store:
        Where vectors are looked up and where each finished batch is saved.
    batch_size:
        Rows per embedding call and per saved shard.
    progress:
        Called with the number of rows just completed (hits are reported at once).

    Returns
    -------
    vectors, computed:
        The full matrix and how many rows had to be embedded.
    """
    vectors, found = store.lookup(keys)
    if progress is not None and found.any():
        progress(int(found.sum()))
    missing = np.flatnonzero(~found).tolist()
    for start in range(0, len(missing), batch_size):
        rows = missing[start : start + batch_size]
        batch = np.asarray(embed(rows), dtype=np.float32)
        if vectors is None:
            vectors = np.zeros((len(keys), batch.shape[1]), dtype=np.float32)
        vectors[rows] = batch
        store.add([keys[r] for r in rows], batch)
        if progress is not None:
            progress(len(rows))
    assert vectors is not None  # keys is never empty: the corpus loader rejects empty corpora
    return vectors, len(missing)


class JsonCache:
    """JSON-able values (e.g. tokenized documents) keyed by a digest, gzip-compressed on disk."""

    def __init__(self, root: Path | None, kind: str) -> None:
        self.folder = None if root is None else Path(root) / kind

    def get(self, key: str) -> Any:
        """The cached value for ``key``, or ``None`` (a corrupt file counts as a miss)."""
        import gzip

        if self.folder is None:
            return None
        try:
            with gzip.open(self.folder / f"{key}.json.gz", "rt", encoding="utf-8") as stream:
                return json.load(stream)
        except (OSError, ValueError, EOFError):
            return None

    def put(self, key: str, value: Any) -> None:
        """Store ``value`` under ``key`` atomically."""
        import gzip

        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".json.gz")
        try:
            with os.fdopen(handle, "wb") as raw, gzip.open(raw, "wt", encoding="utf-8") as stream:
                json.dump(value, stream, ensure_ascii=False)
            os.replace(temp, self.folder / f"{key}.json.gz")
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise


class ArrayCache:
    """Whole arrays keyed by a digest of their inputs (``None`` root disables it)."""

    def __init__(self, root: Path | None, kind: str) -> None:
        self.folder = None if root is None else Path(root) / kind

    def get(self, key: str) -> np.ndarray | None:
        """The cached array for ``key``, or ``None``."""
        if self.folder is None:
            return None
        data = _load_npz(self.folder / f"{key}.npz")
        return None if data is None else data.get("array")

    def put(self, key: str, array: np.ndarray) -> None:
        """Store ``array`` under ``key`` atomically."""
        if self.folder is not None:
            atomic_save_npz(self.folder / f"{key}.npz", array=np.asarray(array))

    def keys(self) -> Iterable[str]:
        """Keys currently stored."""
        if self.folder is None or not self.folder.is_dir():
            return []
        return [p.stem for p in self.folder.glob("*.npz")]
