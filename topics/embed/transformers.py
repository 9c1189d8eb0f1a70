"""Any sentence-transformers model (optional extra ``transformers``).

The model name or local path comes from ``embedding.model``; the package and its torch
dependency are imported only when ``embed`` runs.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from topics.config import EmbeddingSection
from topics.embed.base import check_aligned, l2_normalize, package_version
from topics.errors import ConfigError, MissingExtraError
from topics.hashing import digest
from topics.registry import embedders

FEATURE = "The 'sentence-transformers' embedding backend"


def require_sentence_transformers() -> None:
    """Raise MissingExtraError naming the ``transformers`` extra when the package is absent."""
    if importlib.util.find_spec("sentence_transformers") is None:
        raise MissingExtraError("sentence-transformers", "transformers", FEATURE)


def hub_cache() -> Path:
    """The Hugging Face hub cache folder, as ``huggingface_hub`` resolves it."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "huggingface" / "hub"


def model_revision(model: str) -> str:
    """Which weights ``model`` names right now, read from disk only (no network).

    * a local folder: a digest of every file's name, size and modification time;
    * a hub name found in the hub cache: the commit hash its ``refs/main`` points to
      (sentence-transformers ≥ 3 looks a bare name up as ``sentence-transformers/<name>``
      first);
    * a hub name not downloaded yet: ``unresolved-<random>``, so the vectors computed while it
      downloads are never served to a later run, which will know the commit.
    """
    local = Path(model).expanduser()
    if local.is_dir():
        entries = sorted(
            (str(path.relative_to(local)), path.stat().st_size, path.stat().st_mtime_ns)
            for path in local.rglob("*")
            if path.is_file()
        )
        return "local-" + digest(entries)
    names = [f"sentence-transformers/{model}", model] if "/" not in model else [model]
    for name in names:
        folder = hub_cache() / f"models--{name.replace('/', '--')}"
        try:
            commit = (folder / "refs" / "main").read_text(encoding="utf-8").strip()
        except OSError:
            continue
        if commit:
            return commit
    return f"unresolved-{secrets.token_hex(8)}"


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
    # Capabilities (topics.registry.CAPABILITIES); multilingual depends on the model: not claimed.
    embeds_words = True

    def __init__(self, model: str, device: str = "cpu", batch_size: int = 256) -> None:
        self.model = model
        self.device = device
        self.batch_size = batch_size
        self._model: Any = None
        self._revision: str | None = None

    def fingerprint(self) -> str:
        # A local folder is identified by its resolved path, a hub name by itself; the
        # revision says which weights: a hub model updated upstream must not reuse old vectors.
        local = Path(self.model).expanduser()
        model = str(local.resolve()) if local.exists() else self.model
        return (
            f"sentence-transformers-{package_version('sentence-transformers')}:model={model}:"
            f"revision={self.revision()}:normalize=1"
        )

    def revision(self) -> str:
        """The revision in the fingerprint (:func:`model_revision`), fixed for this instance."""
        if self._revision is None:
            self._revision = model_revision(self.model)
        return self._revision

    def check_available(self) -> None:
        """Raise ConfigError unless the model is a local folder or in the hub cache (no network).

        Called by ``topics.preflight`` so a misspelt or never-downloaded model fails before
        the corpus is read, not after.
        """
        if self.revision().startswith("unresolved-"):
            hub_name = self.model if "/" in self.model else f"sentence-transformers/{self.model}"
            raise ConfigError(
                "The 'embedding.model' parameter must be a local model folder or a model in the "
                f"Hugging Face cache ({hub_cache()}). Got '{self.model}' instead. Download it "
                f"first (huggingface-cli download {hub_name}) or fix the name."
            )

    def embed(self, texts: Sequence[str], ids: Sequence[str]) -> np.ndarray:
        check_aligned(texts, ids)
        if self._model is None:
            require_sentence_transformers()
            from sentence_transformers import SentenceTransformer

            revision = self.revision()
            # Load the very commit the fingerprint names: a newer one on the hub would
            # otherwise be downloaded and its vectors cached under the old commit's key.
            pinned = (
                {} if revision.startswith(("local-", "unresolved-")) else {"revision": revision}
            )
            self._model = SentenceTransformer(self.model, device=self.device, **pinned)
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
