"""Topics for documents the clustering was not fitted on (see :mod:`topics.assign.knn`)."""

from topics.assign.knn import Neighbours, core_rows, nearest, place, vote

__all__ = ["Neighbours", "core_rows", "nearest", "place", "vote"]
