"""UMAP reduction of document embeddings."""

from __future__ import annotations

import math
import warnings
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from topics.config import UmapSection
from topics.hashing import digest, package_version
from topics.types import Embeddings, Reduced

if TYPE_CHECKING:
    from topics.cache import ArrayCache

#: Packages whose versions are part of every UMAP cache key.
UMAP_DISTRIBUTIONS = ("umap-learn", "pynndescent", "numba")


def umap_cache_key(
    embeddings: Embeddings, section: UmapSection, n_components: int, seed: int
) -> str:
    """Key of a UMAP output: the embeddings' key, every parameter and the libraries' versions.

    umap-learn, its nearest-neighbour search (pynndescent) and the numba that compiles both
    change coordinates between releases even with a fixed seed.
    """
    params = section.model_dump(mode="json") | {"n_components": n_components}
    versions = {name: package_version(name) for name in UMAP_DISTRIBUTIONS}
    return digest("umap", embeddings.cache_key, params, seed, versions)


def effective_neighbors(n_documents: int, requested: int | str) -> int:
    """The n_neighbors actually used: ``auto`` resolved, and below ``n_documents``.

    ``auto`` is ``sqrt(n)`` clamped to 5..15: 15 (umap's default) from 225 documents up, while
    a 54-abstract sample gets 7, which finds its 4-9 subjects instead of 2-3 (bench/quality.py).
    """
    if requested == "auto":
        requested = int(min(15, max(5, round(math.sqrt(n_documents)))))
    return max(2, min(int(requested), n_documents - 1))


def reduce(
    embeddings: Embeddings, section: UmapSection, seed: int, n_components: int | None = None
) -> Reduced:
    """Fit UMAP on ``embeddings`` and return the reduced coordinates.

    Parameters
    ----------
    embeddings:
        Document vectors.
    section:
        The ``umap`` config section; every field is passed through to ``umap.UMAP``.
    seed:
        ``random_state``; fixing it makes UMAP single-threaded but reproducible (BERTopic #47).
    n_components:
        Output dimensions, overriding ``section.n_components`` (the 2-D report map uses 2).
    """
    import umap  # heavy (numba): imported only when a reduction actually runs

    vectors = np.asarray(embeddings.vectors, dtype=np.float32)
    n_components = n_components or section.n_components
    key = umap_cache_key(embeddings, section, n_components, seed)
    n_documents = vectors.shape[0]
    if n_documents <= n_components + 1:
        # Spectral initialisation needs more points than dimensions; a corpus this small has
        # nothing to reduce, so pad/trim the vectors instead of failing.
        coords = np.zeros((n_documents, n_components), dtype=np.float32)
        width = min(n_components, vectors.shape[1])
        coords[:, :width] = vectors[:, :width]
        return Reduced(coords=coords, cache_key=key)
    reducer = umap.UMAP(
        n_neighbors=effective_neighbors(n_documents, section.n_neighbors),
        n_components=n_components,
        min_dist=section.min_dist,
        metric=section.metric,
        n_epochs=section.n_epochs,
        low_memory=section.low_memory,
        random_state=seed,
        init="spectral" if n_documents > 3 * n_components else "random",
    )
    with warnings.catch_warnings():
        # "n_jobs overridden by random_state" is the documented price of reproducibility.
        warnings.filterwarnings("ignore", message=".*n_jobs value.*")
        warnings.filterwarnings("ignore", category=UserWarning, module="umap")
        coords = reducer.fit_transform(vectors)
    return Reduced(coords=np.asarray(coords, dtype=np.float32), cache_key=key, reducer=reducer)


def reduce_cached(
    embeddings: Embeddings,
    section: UmapSection,
    seed: int,
    cache: ArrayCache,
    n_components: int | None = None,
) -> Reduced:
    """UMAP output from the cache when its inputs are unchanged, else fitted and stored."""
    key = umap_cache_key(embeddings, section, n_components or section.n_components, seed)
    cached = cache.get(key)
    if cached is not None and cached.shape[0] == embeddings.vectors.shape[0]:
        return Reduced(coords=cached, cache_key=key, from_cache=True)
    reduced = reduce(embeddings, section, seed, n_components)
    cache.put(key, reduced.coords)
    # Only the coordinates are used from here on: dropping the fitted UMAP (its kNN graph and
    # search index, ~0.4 GB at 50k documents) lowers the run's peak memory.
    return replace(reduced, reducer=None)
