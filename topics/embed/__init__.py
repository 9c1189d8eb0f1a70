"""Embedding backends: texts → float32 ``(n, d)`` vectors.

Importing this package registers every backend in :data:`topics.registry.embedders`.
"""

from topics.embed import combined, e5, precomputed, static, tfidf, transformers, use
from topics.embed import distilled as distilled  # issue 11: registers `distilled`
from topics.embed.base import Embedder, l2_normalize, make_embedder

__all__ = [
    "Embedder",
    "combined",
    "e5",
    "l2_normalize",
    "make_embedder",
    "precomputed",
    "static",
    "tfidf",
    "transformers",
    "use",
]
