"""Any sentence-transformers model (optional extra ``transformers``).

The model name or local path comes from ``embedding.model``; the package and its torch
dependency are imported only when ``embed`` runs.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from topics.config import EmbeddingSection
from topics.embed.base import check_aligned, l2_normalize, package_version
from topics.errors import ConfigError, MissingExtraError
from topics.registry import embedders

FEATURE = "The 'sentence-transformers' embedding backend"


def require_sentence_transformers() -> None:
    """Raise MissingExtraError naming the ``transformers`` extra when the package is absent."""
    if importlib.util.find_spec("sentence_transformers") is None:
        raise MissingExtraError("sentence-transformers", "transformers", FEATURE)


class SentenceTransformerEmbedder:
    """Vectors from ``SentenceTransformer(model, device=device)``, L2-normalised.

    Parameters
    ----------
    model:
        A model name (resolved by sentence-transformers, possibly from its local cache) or a
        local folder.
    device:
        ``cpu``, ``cuda``, ``mps``…
    batch_size:
        Texts per forward pass.
    """

    name = "sentence-transformers"

    def __init__(self, model: str, device: str = "cpu", batch_size: int = 256) -> None:
        self.model = model
        self.device = device
        self.batch_size = batch_size
        self._model: Any = None

    def fingerprint(self) -> str:
        # A local folder is identified by its resolved path, a hub name by itself.
        local = Path(self.model).expanduser()
        model = str(local.resolve()) if local.exists() else self.model
        return (
            f"sentence-transformers-{package_version('sentence-transformers')}:model={model}:"
            "normalize=1"
        )

    def embed(self, texts: Sequence[str], ids: Sequence[str]) -> np.ndarray:
        check_aligned(texts, ids)
        if self._model is None:
            require_sentence_transformers()
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(self.model, device=self.device)
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return l2_normalize(np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1))


@embedders.register("sentence-transformers")
def make_sentence_transformers(
    section: EmbeddingSection, cache_dir: Path | None
) -> SentenceTransformerEmbedder:
    """Factory for ``embedding.backend: sentence-transformers`` (checks model and extra)."""
    if not section.model:
        raise ConfigError(
            "The 'embedding.model' parameter is required when embedding.backend is "
            "'sentence-transformers' (a model name or local path). Got nothing instead."
        )
    require_sentence_transformers()
    return SentenceTransformerEmbedder(section.model, section.device, section.batch_size)
