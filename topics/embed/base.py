"""The embedder interface and helpers shared by every backend.

An embedder turns texts into a float32 ``(n, d)`` matrix, rows aligned with the texts. Backends
register a factory ``(EmbeddingSection, cache_dir) -> Embedder`` in
:data:`topics.registry.embedders`; factories only store settings, models load lazily in
:meth:`Embedder.embed` so that building a pipeline (or a cache key) is cheap.

A backend whose vectors depend on the whole corpus (TF-IDF, a row-ordered ``.npy``) sets
``corpus_fitted = True``; the pipeline then hands it every text in one call and keys its cache
on the corpus.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from topics.config import EmbeddingSection

# Re-exported: backends build their fingerprints from it.
from topics.hashing import package_version as package_version
from topics.registry import embedders


@runtime_checkable
class Embedder(Protocol):
    """What the pipeline needs from an embedding backend."""

    name: str

    def fingerprint(self) -> str:
        """Backend, model, package version and every setting that changes the vectors."""
        ...

    def embed(self, texts: Sequence[str], ids: Sequence[str]) -> np.ndarray:
        """Return float32 ``(len(texts), d)`` vectors, rows aligned with ``texts``."""
        ...


def make_embedder(section: EmbeddingSection, cache_dir: Path | None = None) -> Embedder:
    """Build the embedder that ``section.backend`` names (unknown names raise ConfigError).

    Parameters
    ----------
    section:
        The ``embedding`` config section.
    cache_dir:
        Folder where backends may keep derived artefacts (the static token table); ``None``
        keeps them in memory only.
    """
    return embedders.get(section.backend)(section, cache_dir)


def l2_normalize(vectors: np.ndarray) -> np.ndarray:
    """Return float32 rows scaled to unit length; all-zero rows stay zero (no NaN)."""
    matrix = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    # A text with no usable token (empty, or only unknown symbols) has a zero vector.
    norms[norms == 0] = 1.0
    return (matrix / norms).astype(np.float32, copy=False)


def short_hash(text: str) -> str:
    """A 16-hex-digit digest for file names and fingerprints."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def check_aligned(texts: Sequence[str], ids: Sequence[str]) -> None:
    """Raise ValueError (a caller bug, not a user error) when texts and ids differ in length."""
    if len(texts) != len(ids):
        raise ValueError(f"embed() got {len(texts)} texts but {len(ids)} ids")


def batches(count: int, size: int) -> list[slice]:
    """Consecutive slices of at most ``size`` covering ``range(count)``."""
    return [slice(start, min(start + size, count)) for start in range(0, count, max(size, 1))]
