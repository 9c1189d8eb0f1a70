"""Nearest neighbours by cosine similarity: exact in blocks, or a pynndescent graph at scale.

Below both of its users: the vote that assigns documents to a fitted clustering
(:mod:`topics.assign.knn`) and the translation-pair search (:mod:`topics.crosslingual.
duplicates`). Imports nothing of the package but the engine (which partitions the queries).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from topics.engine import LOCAL, Engine, RowPartitions, partition_bounds

#: Similarity-matrix cells per block of the exact search (float32 32 MB, plus argpartition's
#: int64 indices: 96 MB transient at any corpus size).
BLOCK_CELLS = 1 << 23
#: Above this many core × query pairs the search is approximate (pynndescent).
EXACT_PAIRS = 10_000_000_000


@dataclass(frozen=True)
class Neighbours:
    """The ``k`` nearest core documents of each query document, most similar first.

    Attributes
    ----------
    indices:
        int32 ``(n_queries, k)`` rows of the core (a core is far below 2³¹ rows; at a million
        queries int64 would hold 57 MB more for the whole run).
    similarities:
        float32 ``(n_queries, k)`` cosine similarities.
    """

    indices: np.ndarray
    similarities: np.ndarray


def _unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


#: Core rows per group in the exact search's top-k (see :func:`top_k`).
TOP_K_GROUP = 64


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Columns and values of the ``k`` largest entries of each row of ``scores`` (unordered).

    A full ``argpartition`` of every row cost 2.5× the matrix product that made the scores.
    The ``k`` largest entries of a row lie in the ``k`` groups of :data:`TOP_K_GROUP` columns
    with the largest maxima (a group holding one of them has a maximum at least the ``k``-th
    value, and at most ``k`` groups can), so only those groups are partitioned: 5× faster.
    Ties at the ``k``-th value may be broken differently than a full partition would.
    """
    rows, columns = scores.shape
    groups = columns // TOP_K_GROUP
    if groups <= 4 * k:
        top = np.argpartition(scores, columns - k, axis=1)[:, -k:]
        return top, np.take_along_axis(scores, top, axis=1)
    grouped = columns - columns % TOP_K_GROUP
    maxima = scores[:, :grouped].reshape(rows, groups, TOP_K_GROUP).max(axis=2)
    best = np.argpartition(maxima, groups - k, axis=1)[:, -k:]
    candidates = (best[:, :, None] * TOP_K_GROUP + np.arange(TOP_K_GROUP)).reshape(rows, -1)
    if grouped < columns:  # the last columns, fewer than a group: always candidates
        tail = np.broadcast_to(np.arange(grouped, columns), (rows, columns - grouped))
        candidates = np.concatenate([candidates, tail], axis=1)
    values = np.take_along_axis(scores, candidates, axis=1)
    top = np.argpartition(values, values.shape[1] - k, axis=1)[:, -k:]
    return np.take_along_axis(candidates, top, axis=1), np.take_along_axis(values, top, axis=1)


class ExactIndex:
    """Blocked exact cosine search over unit core vectors (memory bounded by BLOCK_CELLS)."""

    def __init__(self, core: np.ndarray) -> None:
        self.core = core
        self.size = int(core.shape[0])

    def query(self, queries: np.ndarray, k: int) -> Neighbours:
        """The ``k`` most similar core rows of each query, most similar first."""
        core = self.core
        indices = np.empty((queries.shape[0], k), dtype=np.int32)
        similarities = np.empty((queries.shape[0], k), dtype=np.float32)
        block = max(1, BLOCK_CELLS // core.shape[0])
        for start in range(0, queries.shape[0], block):
            top, top_scores = top_k(queries[start : start + block] @ core.T, k)
            order = np.argsort(-top_scores, axis=1, kind="stable")
            indices[start : start + block] = np.take_along_axis(top, order, axis=1)
            similarities[start : start + block] = np.take_along_axis(top_scores, order, axis=1)
        return Neighbours(indices, similarities)


class ApproximateIndex:
    """pynndescent's graph over the core (built once; picklable, so a Dask engine ships it)."""

    def __init__(self, core: np.ndarray, seed: int) -> None:
        from pynndescent import NNDescent

        self.size = int(core.shape[0])
        self.index = NNDescent(core, metric="cosine", random_state=seed, n_jobs=1, low_memory=True)
        self.index.prepare()  # the search graph is built here, not in each partition's query

    def query(self, queries: np.ndarray, k: int) -> Neighbours:
        """The ``k`` (approximately) most similar core rows of each query."""
        indices, distances = self.index.query(queries, k=k)
        return Neighbours(
            np.asarray(indices, dtype=np.int32), (1.0 - np.asarray(distances)).astype(np.float32)
        )


def search_index(core: np.ndarray, n_queries: int, seed: int = 0) -> ExactIndex | ApproximateIndex:
    """The search over ``core`` for ``n_queries`` queries in all (however they are partitioned).

    Exact up to :data:`EXACT_PAIRS` core × query pairs, approximate (pynndescent) beyond: the
    choice depends on the whole job, so every partition of it searches the same way.
    """
    core = _unit(core)
    if core.shape[0] * n_queries > EXACT_PAIRS:
        return ApproximateIndex(core, seed)
    return ExactIndex(core)


def query_partition(
    queries: np.ndarray, *, index: ExactIndex | ApproximateIndex, k: int
) -> Neighbours:
    """One partition's nearest core rows (a top-level function: an engine task)."""
    return index.query(_unit(queries), max(1, min(k, index.size)))


def nearest(core: np.ndarray, queries: np.ndarray, k: int, seed: int = 0) -> Neighbours:
    """Cosine ``k`` nearest neighbours of each query among the core vectors.

    Exact (blocked matrix products, memory bounded by :data:`BLOCK_CELLS`) up to
    :data:`EXACT_PAIRS` core × query pairs, approximate with pynndescent beyond.
    """
    return query_partition(queries, index=search_index(core, queries.shape[0], seed), k=k)


def nearest_rows(
    core: np.ndarray,
    vectors: np.ndarray,
    rows: np.ndarray,
    k: int,
    seed: int = 0,
    engine: Engine = LOCAL,
) -> Neighbours:
    """:func:`nearest` for ``vectors[rows]``, searched partition by partition on ``engine``.

    The index over the core is built once and shared by the partitions; no copy of every
    queried row is made at once.
    """
    index = search_index(core, len(rows), seed)
    bounds = partition_bounds(len(rows), engine.section.partition_size)
    parts = engine.map(
        query_partition, RowPartitions(vectors, rows, bounds), {"index": index, "k": k}
    )
    return concat_neighbours(parts, k)


def concat_neighbours(parts: list[Neighbours], k: int) -> Neighbours:
    """Partitions' neighbours stacked back into one (``k`` columns when there are none)."""
    if not parts:
        return Neighbours(np.empty((0, k), np.int32), np.empty((0, k), np.float32))
    return Neighbours(
        np.concatenate([part.indices for part in parts]),
        np.concatenate([part.similarities for part in parts]),
    )
