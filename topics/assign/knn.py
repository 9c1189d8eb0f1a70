"""Assign documents to a fitted clustering by a vote of their nearest fitted documents.

Used wherever documents get topics without refitting: above ``cluster.fit_sample`` documents
UMAP and HDBSCAN are fitted on a seeded sample (the *core*) and every other document is
assigned here. The vote runs in the original embedding space (cosine), so it needs only the
core's vectors and labels — plain arrays, no pickled UMAP or HDBSCAN — and costs no UMAP
``transform`` (which peers report as almost as slow as fitting).

A document takes the label with the largest summed weight among its ``k`` nearest core
documents, outliers (``-1``) voting as a label of their own: a document among outliers stays an
outlier, as HDBSCAN would have left it. A neighbour's weight is its inverse cosine distance
(scikit-learn's ``weights="distance"``), so a near-copy of a core document takes that
document's label (copies under new ids: 92% kept their topic with plain similarity weights,
see ``tests/assign/test_feed.py``). Its map position (2-D map, reduced coordinates) is the
weighted mean position of the neighbours that voted for the winning label.
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
#: Smallest cosine distance in a vote weight (an exact copy weighs 1,000, not infinity).
MIN_DISTANCE = 1e-3


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


def core_rows(n_documents: int, fit_sample: int | None, seed: int) -> np.ndarray | None:
    """Sorted rows of the seeded sample the models are fitted on; ``None`` = fit on all.

    Parameters
    ----------
    n_documents:
        Documents in the run (in the pipeline's canonical order, so the sample does not depend
        on the order the files were listed in).
    fit_sample:
        ``cluster.fit_sample``: the core size, or ``None`` to always fit on every document.
    seed:
        ``run.seed``.
    """
    if fit_sample is None or n_documents <= fit_sample:
        return None
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_documents, size=fit_sample, replace=False))


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


def weights_of(neighbours: Neighbours) -> np.ndarray:
    """Vote weight of each neighbour: inverse cosine distance, capped for exact copies."""
    return 1.0 / np.maximum(1.0 - neighbours.similarities.astype(np.float64), MIN_DISTANCE)


#: Queries voted (and placed) at once: their (queries × k) temporaries stay ~100 MB at any N.
VOTE_BLOCK = 100_000


def vote(core_labels: np.ndarray, neighbours: Neighbours) -> tuple[np.ndarray, np.ndarray]:
    """Label of each query and the share of the vote it won (see :func:`weights_of`).

    Queries are voted :data:`VOTE_BLOCK` at a time (each query's vote is its own).

    Returns
    -------
    labels, shares:
        int64 labels (``-1`` = outlier) and float32 shares in (0, 1].
    """
    n = neighbours.indices.shape[0]
    labels = np.empty(n, dtype=np.int64)
    shares = np.empty(n, dtype=np.float32)
    for start in range(0, n, VOTE_BLOCK):
        block = slice(start, start + VOTE_BLOCK)
        part = Neighbours(neighbours.indices[block], neighbours.similarities[block])
        labels[block], shares[block] = _vote_block(core_labels, part)
    return labels, shares


def _vote_block(core_labels: np.ndarray, neighbours: Neighbours) -> tuple[np.ndarray, np.ndarray]:
    """:func:`vote` for one block of queries."""
    core_labels = np.asarray(core_labels, dtype=np.int64)
    voted = core_labels[neighbours.indices]  # (n, k)
    weights = weights_of(neighbours)
    n, k = voted.shape
    if n == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
    # Sum the weights per (query, label) with one sort instead of a (queries × labels) matrix.
    rows = np.repeat(np.arange(n), k)
    keys = voted.ravel()
    order = np.lexsort((keys, rows))
    rows, keys, sums = rows[order], keys[order], weights.ravel()[order]
    starts = np.flatnonzero(np.r_[True, (rows[1:] != rows[:-1]) | (keys[1:] != keys[:-1])])
    group_rows, group_keys = rows[starts], keys[starts]
    group_sums = np.add.reduceat(sums, starts)
    # Best group per row: highest sum, ties to the label of the nearest neighbour among them.
    nearest_rank = _first_rank(voted, group_rows, group_keys)
    best = np.lexsort((nearest_rank, -group_sums, group_rows))
    first = np.flatnonzero(np.r_[True, group_rows[best][1:] != group_rows[best][:-1]])
    chosen = best[first]
    labels = group_keys[chosen]
    shares = (group_sums[chosen] / weights.sum(axis=1)).astype(np.float32)
    return labels, shares


def _first_rank(voted: np.ndarray, group_rows: np.ndarray, group_keys: np.ndarray) -> np.ndarray:
    """For each (row, label) group, the rank of the nearest neighbour that voted for it."""
    matches = voted[group_rows] == group_keys[:, None]
    return matches.argmax(axis=1)


def place(
    core_coords: np.ndarray, core_labels: np.ndarray, neighbours: Neighbours, labels: np.ndarray
) -> np.ndarray:
    """Position of each query: weighted mean of its neighbours that share its label.

    Averaging only the winning label's neighbours keeps a document inside its topic's island
    on the map instead of between two islands.
    """
    core_coords = np.asarray(core_coords, dtype=np.float32)
    core_labels = np.asarray(core_labels, dtype=np.int64)
    placed = np.empty((len(labels), core_coords.shape[1]), dtype=np.float32)
    for start in range(0, len(labels), VOTE_BLOCK):
        block = slice(start, start + VOTE_BLOCK)
        indices = neighbours.indices[block]
        weights = weights_of(Neighbours(indices, neighbours.similarities[block]))
        weights *= core_labels[indices] == labels[block, None]
        weights /= weights.sum(axis=1, keepdims=True)
        placed[block] = np.einsum("nk,nkd->nd", weights, core_coords[indices])
    return placed
