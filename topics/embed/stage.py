"""The embed stage: document vectors through the vector store, the misses on the run's engine.

Backends that embed any text on its own (USE, distilled, static, sentence-transformers) embed
the misses batch by batch — on a Dask engine one task per batch, each worker building the
backend once from its config section. Backends fitted on the whole corpus (TF-IDF) or read from
a file (precomputed) run in this process.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from topics.cache import VectorStore, embed_with_store
from topics.config import EmbeddingSection, RunConfig
from topics.crosslingual.policy import translation_detector
from topics.embed.base import make_embedder
from topics.engine import LOCAL, Engine
from topics.hashing import digest
from topics.progress import Progress, SilentProgress
from topics.registry import capable, embedders
from topics.scratch import allocator
from topics.types import Corpus, Embeddings


def cache_root(config: RunConfig) -> Path | None:
    """The cache folder as an absolute path (workers may run elsewhere), ``None`` when off."""
    return Path(config.cache.dir).absolute() if config.cache.enabled else None


def scratch_folder(config: RunConfig) -> Path:
    """Where the run's texts and vectors are spilled (:mod:`topics.corpus.texts`,
    :mod:`topics.scratch`): the cache folder, else the output folder — both on the user's
    disk, unlike a ``/tmp`` that may live in memory. The files are unlinked at once."""
    return cache_root(config) or Path(config.output.dir).absolute()


def embed_corpus(
    corpus: Corpus,
    config: RunConfig,
    progress: Progress,
    engine: Engine = LOCAL,
    embedder: Any = None,
) -> Embeddings:
    """Document vectors from the cache where present; only the misses are embedded.

    ``embedder`` is the run's (built once by :func:`topics.preflight.preflight`); ``None``
    builds the one ``config.embedding`` names.

    Backends fitted on the whole corpus (TF-IDF) are cached per corpus instead of per document,
    since adding one document changes every vector. A combined backend takes each component's
    block from that component's own cache.
    """
    root = cache_root(config)
    embedder = embedder if embedder is not None else make_embedder(config.embedding, root)
    vectors, fingerprint, computed = cached_vectors(
        embedder,
        config.embedding,
        corpus,
        root,
        progress,
        engine,
        allocator(scratch_folder(config)),
    )
    return Embeddings(
        vectors=vectors,
        backend=config.embedding.backend,
        cache_key=digest(fingerprint, corpus.text_hashes),
        from_cache=computed == 0,
    )


def cached_vectors(
    embedder: Any,
    section: EmbeddingSection,
    corpus: Corpus,
    root: Path | None,
    progress: Progress,
    engine: Engine = LOCAL,
    allocate: Callable[[tuple[int, int]], np.ndarray] | None = None,
) -> tuple[np.ndarray, str, int]:
    """``(vectors, fingerprint, rows computed)`` for one embedder, through the vector store.

    ``section.backend`` names ``embedder`` (for a combined backend's component, a copy of the
    section naming the component), so a Dask worker can build the same backend. ``allocate``
    makes the matrix (a scratch array for a run; components of a combined backend are joined
    in memory).
    """
    components = getattr(embedder, "components", None)
    if components and hasattr(embedder, "combine"):
        parts = [
            cached_vectors(
                part,
                section.model_copy(update={"backend": name}),
                corpus,
                root,
                SilentProgress(),
                engine,
            )
            for name, part in zip(section.components, components, strict=True)
        ]
        progress.advance(len(corpus))
        return (
            embedder.combine([vectors for vectors, _, _ in parts]),
            embedder.fingerprint(),
            sum(computed for _, _, computed in parts),
        )
    fingerprint = embedder.fingerprint()
    corpus_fitted = capable(embedder, "corpus_fitted")
    if corpus_fitted:
        fingerprint += f"|corpus={digest(corpus.text_hashes)}"
    store = VectorStore(root, fingerprint)

    positions = np.asarray(corpus.reading_positions, dtype=np.int64)

    def embed_rows(rows: list[int]) -> np.ndarray:
        # A corpus-fitted backend sees the documents in reading order: a .npy matrix is matched
        # by row position in the user's files, not in the pipeline's canonical order.
        perm = np.argsort(positions[rows], kind="stable") if corpus_fitted else None
        ordered = rows if perm is None else [rows[i] for i in perm]
        vectors = embedder.embed(
            [corpus.texts[r] for r in ordered], [corpus.ids[r] for r in ordered]
        )
        if perm is None:
            return vectors
        aligned = np.empty_like(vectors)
        aligned[perm] = vectors
        return aligned

    embed_many, wave = None, 1
    if not getattr(engine, "in_process", False) and capable(embedder, "embeds_words"):

        def embed_many(batches: list[list[int]]) -> list[np.ndarray]:
            partitions = [
                ([corpus.texts[r] for r in rows], [corpus.ids[r] for r in rows]) for rows in batches
            ]
            shared = {"section": section, "root": None if root is None else str(root)}
            return engine.map(embed_partition, partitions, shared)

        wave = engine.parallelism
    batch = len(corpus) if corpus_fitted else section.batch_size
    vectors, computed = embed_with_store(
        corpus.text_hashes, embed_rows, store, batch, progress.advance, embed_many, wave, allocate
    )
    return vectors, fingerprint, computed


_WORKER_EMBEDDERS: dict[tuple[str, str | None], Any] = {}


def embed_partition(
    partition: tuple[list[str], list[str]], *, section: EmbeddingSection, root: str | None
) -> np.ndarray:
    """Vectors of one partition's ``(texts, ids)``, on a Dask worker.

    The backend is built once per worker process (loading a model costs seconds) and kept for
    the worker's later partitions.
    """
    key = (section.model_dump_json(), root)
    embedder = _WORKER_EMBEDDERS.get(key)
    if embedder is None:
        _WORKER_EMBEDDERS.clear()
        embedder = embedders.get(section.backend)(section, None if root is None else Path(root))
        _WORKER_EMBEDDERS[key] = embedder
    texts, ids = partition
    return np.asarray(embedder.embed(texts, ids), dtype=np.float32)


def translation_vectors(
    corpus: Corpus,
    embeddings: Embeddings,
    config: RunConfig,
    engine: Engine = LOCAL,
    embedder: Any = None,
) -> tuple[np.ndarray | None, float | None]:
    """``(vectors, threshold)`` for translation detection, ``(None, None)`` when the run has none.

    The detector's vectors are the run's own (``use``) or its USE block's (``combined``),
    read through the vector store: they are cached by the embed stage just before.
    """
    if not {"zh", "en"} <= set(corpus.langs):
        return None, None  # nothing to pair: spare a combined run the second read of USE shards
    root = cache_root(config)
    embedder = embedder if embedder is not None else make_embedder(config.embedding, root)
    detector = translation_detector(embedder)
    if detector is None:
        return None, None
    if detector.embedder is embedder:
        return embeddings.vectors, detector.threshold
    name = next(
        name
        for name, part in zip(config.embedding.components, embedder.components, strict=True)
        if part is detector.embedder
    )
    section = config.embedding.model_copy(update={"backend": name})
    vectors, _, _ = cached_vectors(
        detector.embedder,
        section,
        corpus,
        root,
        SilentProgress(),
        engine,
        allocator(scratch_folder(config)),
    )
    return vectors, detector.threshold


def word_embedder(config: RunConfig, embedder: Any) -> Any:
    """Embedder for candidate words when a representation model needs one: the run's own
    (``embedder``) when it embeds any text."""
    if config.topics.representation == "ctfidf":
        return None
    if capable(embedder, "embeds_words"):
        return embedder
    # Corpus-fitted or file-backed vectors cannot embed new words: use the shipped table.
    from topics.embed.distilled import shipped_embedder

    return shipped_embedder(config.embedding)
