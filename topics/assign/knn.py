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

import numpy as np

from topics.neighbours import (  # noqa: F401 (re-exported for the assigners)
    Neighbours,
    nearest,
    nearest_rows,
)

#: Smallest cosine distance in a vote weight (an exact copy weighs 1,000, not infinity).
MIN_DISTANCE = 1e-3


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
