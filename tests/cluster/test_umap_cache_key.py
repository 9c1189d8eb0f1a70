"""The UMAP cache key: everything that changes the coordinates, and nothing else."""

from __future__ import annotations

import importlib.metadata

import numpy as np
import pytest

from topics.cluster import umap_cache_key
from topics.config import UmapSection
from topics.types import Embeddings


def embeddings(key: str = "vectors-1") -> Embeddings:
    return Embeddings(vectors=np.zeros((3, 2), dtype=np.float32), backend="use", cache_key=key)


def key(**section: object) -> str:
    return umap_cache_key(embeddings(), UmapSection(**section), 5, 42)


def test_key_is_stable_and_follows_inputs() -> None:
    assert key() == key()
    assert key() != umap_cache_key(embeddings("vectors-2"), UmapSection(), 5, 42)
    assert key() != umap_cache_key(embeddings(), UmapSection(), 2, 42)
    assert key() != umap_cache_key(embeddings(), UmapSection(), 5, 43)
    assert key() != key(min_dist=0.1)


@pytest.mark.parametrize("distribution", ["umap-learn", "pynndescent", "numba"])
def test_key_changes_with_library_versions(monkeypatch, distribution: str) -> None:
    """Defect 8: an upgraded umap-learn (or its k-NN / JIT) must not reuse old coordinates."""
    before = key()
    real = importlib.metadata.version
    monkeypatch.setattr(
        importlib.metadata, "version", lambda name: "0.0.1" if name == distribution else real(name)
    )
    assert key() != before
