"""Content-addressed on-disk cache for embeddings, reductions and tokens.

Every file is written through :mod:`topics.atomic` (temp file + ``os.replace``) so a killed
process never leaves a truncated file behind; a temp file it leaves is ignored and removed
later (:func:`topics.atomic.remove_stale_temps`).

* :class:`VectorStore` keeps document vectors per embedder fingerprint, keyed by the hash of each
  document's text. Vectors are written shard by shard as batches finish, so an interrupted
  embedding run resumes where it stopped, and a corpus that grows by ten abstracts embeds ten.
* :class:`ArrayCache` keeps whole arrays (UMAP outputs, 2-D maps) under a key derived from
  everything that determines them.
* :class:`JsonCache` keeps JSON values (tokenized documents).

Keys must be derived from what determines the output (package versions, file hashes), never
from a hand-bumped version string: :mod:`topics.hashing` has the building blocks, and the
tokenizer says what decides its tokens (:meth:`topics.text.tokenizer.MixedTokenizer.fingerprint`).

Concurrent runs may share a cache folder: no store reads, modifies and rewrites a file (each
shard is written once under a name derived from its content), so the atomic rename is enough;
work done once for many (the static table) is serialised with :func:`topics.atomic.file_lock`.
"""

from __future__ import annotations

import json
import zipfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from topics.atomic import (
    atomic_open,
    atomic_save_npz,
    atomic_write_text,
    make_folder,
    remove_stale_temps,
)
from topics.hashing import digest
from topics.scratch import allocator, release

CACHE_KEY = "cache.dir"


#: What reading a damaged, truncated or foreign cache file raises: it counts as a miss.
UNREADABLE = (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error)


def _load_npz(path: Path) -> dict[str, np.ndarray] | None:
    """Load a cache file; a corrupt or foreign file counts as a miss, not an error."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except UNREADABLE:
        return None


def _shard_hits(
    path: Path, wanted: dict[str, int], found: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """``(rows, positions, vectors)`` of one shard's not yet found wanted keys, or ``None``.

    The shard's vectors are read only when it holds one; a corrupt or foreign shard is a miss.
    """
    try:
        with np.load(path, allow_pickle=False) as data:
            if "keys" not in data.files or "vectors" not in data.files:
                return None
            rows, positions = [], []
            for row, key in enumerate(data["keys"].tolist()):
                position = wanted.get(key)
                if position is not None and not found[position]:
                    rows.append(row)
                    positions.append(position)
            if not rows:
                return None
            stored = data["vectors"]
    except UNREADABLE:
        return None
    # A key repeated inside one batch (the same text twice) is stored twice: keep the first.
    positions_array = np.asarray(positions, dtype=np.int64)
    _, first = np.unique(positions_array, return_index=True)
    return np.asarray(rows, dtype=np.int64)[first], positions_array[first], stored


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

    def lookup(
        self, hashes: Sequence[str], allocate: Callable[[tuple[int, int]], np.ndarray] | None = None
    ) -> tuple[np.ndarray | None, np.ndarray]:
        """Return ``(vectors, found)``: cached rows for ``hashes`` and a boolean mask of hits.

        ``vectors`` is ``None`` when nothing was found; rows of misses are zero. Only each
        shard's keys are read unless it holds a wanted row: a 1,000-document feed embedded
        into a million-document cache reads a few shards' vectors, not all of them.
        ``allocate(shape)`` makes the zero matrix (a scratch array, see
        :mod:`topics.scratch`); ``None`` = in memory.
        """
        wanted = {h: i for i, h in enumerate(hashes)}
        found = np.zeros(len(hashes), dtype=bool)
        vectors: np.ndarray | None = None
        for shard in self._shards():
            hits = _shard_hits(shard, wanted, found)
            if hits is None:
                continue
            rows, positions, stored = hits
            if vectors is None:
                vectors = (allocate or allocator(None))((len(hashes), stored.shape[1]))
            if stored.shape[1] != vectors.shape[1]:
                continue
            vectors[positions] = stored[rows]
            release(vectors)
            found[positions] = True
        return vectors, found

    def add(self, hashes: Sequence[str], vectors: np.ndarray) -> None:
        """Persist one batch of vectors as a new shard (no-op when the store is disabled)."""
        if self.folder is None or len(hashes) == 0:
            return
        meta = self.folder / "fingerprint.txt"
        if not meta.exists():
            # First shard of this store: also the moment to sweep up killed writers' temps.
            make_folder(self.folder, CACHE_KEY)
            remove_stale_temps(self.folder)
            atomic_write_text(meta, self.fingerprint + "\n", CACHE_KEY)
        name = f"shard-{digest(list(hashes))}.npz"
        atomic_save_npz(
            self.folder / name,
            CACHE_KEY,
            keys=np.asarray(list(hashes), dtype="U32"),
            vectors=np.asarray(vectors, dtype=np.float32),
        )


def embed_with_store(
    keys: Sequence[str],
    embed: Callable[[list[int]], np.ndarray],
    store: VectorStore,
    batch_size: int,
    progress: Callable[[int], None] | None = None,
    embed_many: Callable[[list[list[int]]], list[np.ndarray]] | None = None,
    wave: int = 1,
    allocate: Callable[[tuple[int, int]], np.ndarray] | None = None,
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
    embed_many, wave:
        When given, ``embed_many`` embeds ``wave`` batches at a time (one task each on a Dask
        engine) instead of ``embed`` one by one; each batch is still saved as it comes back.
    allocate:
        Makes the ``(n, d)`` zero matrix (a scratch array: :mod:`topics.scratch`); ``None`` =
        in memory.

    Returns
    -------
    vectors, computed:
        The full matrix and how many rows had to be embedded.
    """
    allocate = allocate or allocator(None)
    vectors, found = store.lookup(keys, allocate)
    if progress is not None and found.any():
        progress(int(found.sum()))
    missing = np.flatnonzero(~found).tolist()
    batches = [missing[start : start + batch_size] for start in range(0, len(missing), batch_size)]
    if embed_many is None:
        embed_many, wave = (lambda group: [embed(rows) for rows in group]), 1
    for first in range(0, len(batches), max(1, wave)):
        group = batches[first : first + max(1, wave)]
        for rows, computed in zip(group, embed_many(group), strict=True):
            batch = np.asarray(computed, dtype=np.float32)
            if vectors is None:
                vectors = allocate((len(keys), batch.shape[1]))
            vectors[rows] = batch
            release(vectors)
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
        with (
            atomic_open(self.folder / f"{key}.json.gz", CACHE_KEY) as raw,
            gzip.open(raw, "wt", encoding="utf-8") as stream,
        ):
            json.dump(value, stream, ensure_ascii=False)


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
            atomic_save_npz(self.folder / f"{key}.npz", CACHE_KEY, array=np.asarray(array))

    def keys(self) -> Iterable[str]:
        """Keys currently stored."""
        if self.folder is None or not self.folder.is_dir():
            return []
        return [p.stem for p in self.folder.glob("*.npz")]
