"""Concatenate several backends: each block L2-normalised and weighted, then the whole row.

With unit blocks, ``weight²`` is each block's share of the cosine similarity, so
``weights: [1, 1.5]`` on ``[use, tfidf]`` lets the lexical block carry more of the topic signal
while the semantic block keeps translations together (field notes: arXiv NMI .439 → .456).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from topics.config import EmbeddingSection
from topics.embed.base import Embedder, check_aligned, l2_normalize
from topics.errors import ConfigError
from topics.registry import embedders
from topics.scratch import BLOCK_ROWS, allocator, release


class CombinedEmbedder:
    """Weighted concatenation of component embedders.

    Parameters
    ----------
    components:
        Built component embedders, in order.
    weights:
        One positive weight per component.
    """

    name = "combined"

    def __init__(self, components: Sequence[Embedder], weights: Sequence[float]) -> None:
        self.components = list(components)
        self.weights = [float(weight) for weight in weights]

    @property
    def multilingual(self) -> bool:
        """True when every component puts zh and en in one space (a TF-IDF block does not)."""
        return all(getattr(component, "multilingual", False) for component in self.components)

    @property
    def keeps_translations(self) -> bool:
        """True when every block keeps translations together (a TF-IDF block splits them)."""
        return all(getattr(part, "keeps_translations", False) for part in self.components)

    @property
    def embeds_words(self) -> bool:
        """True when every component can embed any text (no corpus-fitted or file block)."""
        return all(getattr(component, "embeds_words", False) for component in self.components)

    @property
    def corpus_fitted(self) -> bool:
        """True when any component needs the whole corpus in one call (e.g. tfidf)."""
        return any(getattr(component, "corpus_fitted", False) for component in self.components)

    def fingerprint(self) -> str:
        parts = [
            f"{weight:g}*[{component.fingerprint()}]"
            for component, weight in zip(self.components, self.weights, strict=True)
        ]
        return "combined:" + "+".join(parts)

    def embed(self, texts: Sequence[str], ids: Sequence[str]) -> np.ndarray:
        check_aligned(texts, ids)
        return self.combine([component.embed(texts, ids) for component in self.components])

    def combine(self, blocks: Sequence[np.ndarray]) -> np.ndarray:
        """Join the components' vectors (one block each, rows aligned) into combined vectors.

        Separate from :meth:`embed` so the pipeline can take each block from the per-document
        cache: switching from ``use`` to ``use + tfidf`` must not embed USE again.
        """
        return combine_blocks(blocks, self.weights)


def combine_blocks(blocks: Sequence[np.ndarray], weights: Sequence[float]) -> np.ndarray:
    """Each block L2-normalised and weighted, concatenated, and the whole row L2-normalised."""
    weighted = [
        weight * l2_normalize(np.asarray(block, dtype=np.float32))
        for block, weight in zip(blocks, weights, strict=True)
    ]
    return l2_normalize(np.concatenate(weighted, axis=1))


def combine_in_blocks(
    blocks: Sequence[np.ndarray],
    weights: Sequence[float],
    allocate: Callable[[tuple[int, int]], np.ndarray] | None = None,
) -> np.ndarray:
    """:func:`combine_blocks` row block by row block into ``allocate(shape)`` (a scratch array).

    Rows are combined independently, so the result is the same; only one block of rows is in
    memory at a time besides the output.
    """
    n_rows = blocks[0].shape[0]
    width = sum(block.shape[1] for block in blocks)
    out = (allocate or allocator(None))((n_rows, width))
    for start in range(0, n_rows, BLOCK_ROWS):
        stop = start + BLOCK_ROWS
        out[start:stop] = combine_blocks([block[start:stop] for block in blocks], weights)
        for array in (out, *blocks):
            release(array)
    return out


@embedders.register("combined")
def make_combined(section: EmbeddingSection, cache_dir: Path | None) -> CombinedEmbedder:
    """Factory for ``embedding.backend: combined``; components share the section's settings."""
    names = list(section.components)
    if not names:
        raise ConfigError("The 'embedding.components' parameter must list at least one backend.")
    if "combined" in names:
        raise ConfigError(
            "The 'embedding.components' parameter cannot include 'combined' (no nesting). "
            f"Got {names} instead."
        )
    unknown = [name for name in names if name not in embedders]
    if unknown:
        raise ConfigError(
            f"The 'embedding.components' parameter must name backends from "
            f"{[n for n in embedders.names() if n != 'combined']}. Got {unknown} instead."
        )
    if len(section.weights) != len(names):
        raise ConfigError(
            f"The 'embedding.weights' parameter needs one weight per component ({len(names)} "
            f"for {names}). Got {len(section.weights)}: {list(section.weights)}."
        )
    components = [embedders.get(name)(section, cache_dir) for name in names]
    return CombinedEmbedder(components, section.weights)
