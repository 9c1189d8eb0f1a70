"""A static piece table trained to reproduce a teacher's vectors (issue 11: USE; issue 22: e5).

`static` embeds every SentencePiece piece alone through USE and SIF-pools the rows: nothing in
it says that a Chinese sentence and its English translation mean the same thing. This backend
keeps the same bag-of-pieces form but its rows were *fitted* (tokenlearn-style distillation):
ridge regression of SIF-weighted piece averages onto the USE vectors of ~9,400 training
abstracts (CSL, OHSUMED, arXiv and both sides of ChinaXiv translation pairs), shrunk towards
the `static` table so that pieces seldom or never seen in training keep their USE meaning.
USE puts translations together, so the fitted rows do too. The default table since issue 22
(``distilled-v2``) was fitted the same way to centred multilingual-e5-small vectors, both sides
of a training pair to their mean; ``distilled-v1`` (USE) stays selectable. See
``bench/train_distilled.py`` (how it was trained, on what) and
``bench/results/fast_embedder.md`` (what it reaches).

A document vector is ``Σ c·w·v / Σ c·w + b``, L2-normalised, where ``c`` counts a piece in
the document, ``w`` is its SIF weight and ``v`` its fitted row; pieces outside the shipped
vocabulary are skipped. The whole batch is one sparse ``(documents × pieces) @ table`` product
after one batched C++ SentencePiece call: no per-document Python loop but the flattening.

The artifact (``topics/embed/data/distilled-*.npz``) holds the pruned vocabulary (piece ids),
int8 rows with one float32 scale each, the SIF weights, the bias and a JSON record of the
training run; its hash is part of the fingerprint so caches of different tables never mix.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Sequence
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from topics.config import EmbeddingSection
from topics.embed.base import batches, check_aligned
from topics.embed.static import _tokenizer_name, load_tokenizer
from topics.errors import InputError
from topics.registry import embedders

DATA_DIR = Path(__file__).resolve().parent / "data"
# v2 (issue 22) is fitted to multilingual-e5-small, both sides of a translation pair pulled to
# their mean e5 vector; v1 (issue 11) to full USE. Both ship, so a user can keep v1's vectors.
SHIPPED_TABLES = {
    "distilled-v1": DATA_DIR / "distilled-v1.npz",
    "distilled-v2": DATA_DIR / "distilled-v2.npz",
}
DEFAULT_ARTIFACT = SHIPPED_TABLES["distilled-v2"]
ARTIFACT_KEYS = ("pieces", "rows", "scales", "weights", "bias", "info")


@functools.lru_cache(maxsize=4)
def artifact_digest(path: Path) -> str:
    """First 16 hex digits of the artifact's SHA-256 (read once per path and process)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


@functools.lru_cache(maxsize=2)
def load_artifact(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    """Return ``(lookup, table, bias, info)`` for pooling; ValueError for a foreign file.

    ``lookup`` maps every SentencePiece id to a table row (the last row, all zeros, for pieces
    outside the shipped vocabulary); ``table`` rows are ``w·v`` in float32 with the weight ``w``
    appended as a last column, so one product yields numerator and denominator together.
    """
    with np.load(path, allow_pickle=False) as data:
        missing = [key for key in ARTIFACT_KEYS if key not in data.files]
        if missing:
            raise ValueError(f"{path} is not a distilled table: missing {missing}")
        pieces = data["pieces"].astype(np.int64)
        rows = data["rows"].astype(np.float32) * data["scales"].astype(np.float32)[:, None]
        weights = data["weights"].astype(np.float32)
        bias = data["bias"].astype(np.float32)
        info = json.loads(str(data["info"]))
    vocab = int(info["vocab_size"])
    lookup = np.full(vocab, len(pieces), dtype=np.int64)
    lookup[pieces] = np.arange(len(pieces))
    table = np.zeros((len(pieces) + 1, rows.shape[1] + 1), dtype=np.float32)
    table[:-1, :-1] = rows * weights[:, None]
    table[:-1, -1] = weights
    return lookup, table, bias, info


def pool_documents(
    token_ids: list[list[int]], lookup: np.ndarray, table: np.ndarray, bias: np.ndarray
) -> np.ndarray:
    """L2-normalised ``Σ w·v / Σ w + b`` per document; zero rows for documents without pieces.

    Parameters
    ----------
    token_ids:
        SentencePiece ids of each document (one list per document).
    lookup, table, bias:
        As returned by :func:`load_artifact`.

    Returns
    -------
    numpy.ndarray
        float32 ``(documents, dimensions)``; a row depends only on its own document.
    """
    lengths = np.fromiter(map(len, token_ids), dtype=np.int64, count=len(token_ids))
    flat = np.fromiter(chain.from_iterable(token_ids), dtype=np.int64, count=int(lengths.sum()))
    indptr = np.zeros(len(token_ids) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    # Duplicate column indices are fine for a CSR product: each occurrence adds its row.
    counts = sp.csr_matrix(
        (np.ones(len(flat), dtype=np.float32), lookup[flat], indptr),
        shape=(len(token_ids), table.shape[0]),
    )
    summed = np.asarray(counts @ table, dtype=np.float32)
    total = summed[:, -1:]
    known = total[:, 0] > 0
    vectors = np.zeros((len(token_ids), table.shape[1] - 1), dtype=np.float32)
    vectors[known] = summed[known, :-1] / total[known] + bias
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


class DistilledEmbedder:
    """Bag-of-pieces vectors fitted to full multilingual USE; L2-normalised float32.

    Parameters
    ----------
    artifact:
        The ``.npz`` table to load (default: the one shipped in the package).
    batch_size:
        Documents tokenized and pooled per call (bounds memory, not results).
    """

    name = "distilled"
    # Capabilities (topics.registry.CAPABILITIES): zh and en in one space, translations kept
    # together (89% of held-out pairs in one topic), any text. Not ``use_vectors``: translation
    # detection's thresholds were tuned on full USE only.
    multilingual = True
    keeps_translations = True
    embeds_words = True

    def __init__(self, artifact: Path = DEFAULT_ARTIFACT, batch_size: int = 256) -> None:
        self.artifact = Path(artifact)
        self.batch_size = batch_size

    def fingerprint(self) -> str:
        return f"distilled:{artifact_digest(self.artifact)}:tokenizer={_tokenizer_name()}"

    @property
    def dimensions(self) -> int:
        """Length of the output vectors."""
        return int(load_artifact(self.artifact)[2].shape[0])

    def info(self) -> dict[str, Any]:
        """The artifact's JSON record: what it was trained on, its sizes and settings."""
        return dict(load_artifact(self.artifact)[3])

    def embed(self, texts: Sequence[str], ids: Sequence[str]) -> np.ndarray:
        check_aligned(texts, ids)
        lookup, table, bias, _ = load_artifact(self.artifact)
        out = np.zeros((len(texts), bias.shape[0]), dtype=np.float32)
        if not texts:
            return out
        _, encode = load_tokenizer()
        for part in batches(len(texts), self.batch_size):
            out[part] = pool_documents(encode(list(texts[part])), lookup, table, bias)
        return out


def shipped_embedder(section: EmbeddingSection) -> DistilledEmbedder:
    """The default shipped table, for runs whose own vectors cannot embed new text (tfidf,
    precomputed): their ``embedding.path`` names a vectors file, never a table."""
    return DistilledEmbedder(batch_size=section.batch_size)


@embedders.register("distilled")
def make_distilled(section: EmbeddingSection, cache_dir: Path | None) -> DistilledEmbedder:
    """Factory for ``embedding.backend: distilled`` (needs no cache: the table ships).

    ``embedding.path`` names another table: a shipped one by name (``distilled-v1``, the
    USE-fitted table of releases before issue 22) or a file (a different fingerprint, so
    nothing cached under the shipped one is reused)."""
    if not section.path:
        return shipped_embedder(section)
    if section.path in SHIPPED_TABLES:
        return DistilledEmbedder(SHIPPED_TABLES[section.path], batch_size=section.batch_size)
    artifact = Path(section.path)
    if not artifact.is_file():
        raise InputError(f"embedding.path: distilled table '{artifact}' does not exist.")
    try:
        load_artifact(artifact)
    except Exception:  # any foreign file (not a zip, other arrays): one line with the key
        raise InputError(
            f"embedding.path: '{artifact}' is not a distilled piece table "
            "(expected an .npz written by bench/train_distilled.py)."
        ) from None
    return DistilledEmbedder(artifact, batch_size=section.batch_size)
