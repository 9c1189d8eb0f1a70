"""Dimensionality reduction (UMAP) and density clustering (HDBSCAN) as pure stage functions."""

from topics.cluster.hdbscan_stage import auto_min_cluster_size, cluster
from topics.cluster.umap_stage import reduce, reduce_cached, umap_cache_key

__all__ = ["auto_min_cluster_size", "cluster", "reduce", "reduce_cached", "umap_cache_key"]
