"""The lexical block (``embedding.lexical``): TF-IDF + SVD added to the vectors of one language.

A multilingual embedder puts a Chinese abstract next to its English translation, which is what
a mixed corpus needs; on a corpus in one language that gift is unused, and the words the
abstracts share carry topic signal the sentence encoder smooths away: it lifts fine-topic NMI
on every one-language bench corpus with both presets (``bench/results/layers_fast.md``,
``layers_default.md``), while on a mixed corpus it splits topics by language (ChinaXiv pairs
in one topic: ``bench/results/crosslingual.md``). So ``auto`` adds it when one language
holds at least ``1 - topics.common.MINORITY_SHARE`` of the documents, known right after loading.

The block is fitted on the run's corpus (cached per corpus) and kept as plain arrays
(:class:`topics.embed.tfidf.LexicalModel`) in the run's ``assign/`` folder, so ``topics assign``
embeds a new document into the same space.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from topics.cache import ArrayCache
from topics.common import is_one_language
from topics.config import EmbeddingSection
from topics.embed.combined import combine_blocks, combine_in_blocks
from topics.embed.tfidf import LexicalModel, TfidfEmbedder, fit_lexical
from topics.engine import LOCAL, Engine, partition_bounds
from topics.errors import ConfigError
from topics.hashing import digest
from topics.registry import capable
from topics.types import Corpus, Embeddings

#: Weight of the lexical block next to the embedder's (both unit length; measured at 1).
LEXICAL_WEIGHT = 1.0


@dataclass(frozen=True)
class LexicalChoice:
    """Whether a run adds the lexical block, and why (written to the manifest)."""

    used: bool
    reason: str


def check_lexical(section: EmbeddingSection, embedder: Any) -> None:
    """Refuse ``lexical: on`` for a backend that cannot embed new text (before any work)."""
    if section.lexical == "on" and not capable(embedder, "embeds_words"):
        raise ConfigError(
            "The 'embedding.lexical' parameter 'on' adds a TF-IDF block to a backend that "
            "embeds any text (use, distilled, static, sentence-transformers); "
            f"embedding.backend '{section.backend}' is corpus-fitted or read from a file. "
            "Got 'on' instead."
        )


def choose_lexical(section: EmbeddingSection, embedder: Any, langs: list[str]) -> LexicalChoice:
    """Resolve ``embedding.lexical`` for a corpus with these document languages."""
    check_lexical(section, embedder)
    if section.lexical == "off":
        return LexicalChoice(False, "embedding.lexical: off")
    if section.lexical == "on":
        return LexicalChoice(True, "embedding.lexical: on")
    if not capable(embedder, "embeds_words"):
        return LexicalChoice(False, f"the {section.backend} backend cannot embed new text")
    values, counts = np.unique(np.asarray(langs, dtype=str), return_counts=True)
    shares = {str(v): float(c) / max(1, len(langs)) for v, c in zip(values, counts, strict=True)}
    top = max(shares, key=lambda lang: shares[lang], default="")
    listed = ", ".join(f"{lang} {share:.0%}" for lang, share in sorted(shares.items()))
    if top and is_one_language(shares):  # topics.common: one rule with the labels' language
        return LexicalChoice(True, f"one language: {listed}")
    return LexicalChoice(False, f"mixed languages: {listed}")


def add_lexical(
    corpus: Corpus,
    embeddings: Embeddings,
    section: EmbeddingSection,
    root: Path | None,
    fit_rows: np.ndarray | None = None,
    engine: Engine = LOCAL,
    allocate: Callable[[tuple[int, int]], np.ndarray] | None = None,
) -> tuple[Embeddings, LexicalModel]:
    """The embedder's vectors with a TF-IDF + SVD block fitted on ``corpus`` joined on.

    With ``fit_rows`` (the core of a large corpus) the block is fitted on those documents and
    every other one is transformed partition by partition on ``engine``, so its memory does not
    grow with the corpus beyond the vectors themselves. The block and its model are cached per
    corpus (the fit sees many texts, so one changed document changes it). ``allocate`` makes
    the joined matrix (a scratch array: :mod:`topics.scratch`); ``None`` = in memory.
    """
    fitter = TfidfEmbedder(dimensions=section.dimensions)
    rows = b"" if fit_rows is None else np.asarray(fit_rows, dtype=np.int64).tobytes()
    key = digest("lexical", fitter.fingerprint(), corpus.text_hashes, rows)
    cache = ArrayCache(root, "lexical")
    stored = {name: cache.get(f"{key}-{name}") for name in (*LexicalModel.ARRAYS, "vectors")}
    vectors, model = _from_cache(stored, len(corpus))
    if model is None:
        vectors, model = fit_block(corpus.texts, section.dimensions, fit_rows, engine)
        for name, array in {**model.arrays(), "vectors": vectors}.items():
            cache.put(f"{key}-{name}", array)
    combined = combine_in_blocks([embeddings.vectors, vectors], [1.0, LEXICAL_WEIGHT], allocate)
    return replace(embeddings, vectors=combined, cache_key=digest(embeddings.cache_key, key)), model


def fit_block(
    texts: list[str], dimensions: int, fit_rows: np.ndarray | None, engine: Engine
) -> tuple[np.ndarray, LexicalModel]:
    """The block of every text: fitted on ``fit_rows`` (all when ``None``), the rest transformed."""
    if fit_rows is None:
        return fit_lexical(texts, dimensions)
    fitted, model = fit_lexical([texts[i] for i in fit_rows.tolist()], dimensions)
    vectors = np.empty((len(texts), fitted.shape[1]), dtype=np.float32)
    vectors[fit_rows] = fitted
    rest = np.setdiff1d(np.arange(len(texts)), fit_rows)
    bounds = partition_bounds(len(rest), engine.section.partition_size)
    partitions = [[texts[i] for i in rest[start:stop].tolist()] for start, stop in bounds]
    for (start, stop), part in zip(
        bounds, engine.map(transform_partition, partitions, {"model": model}), strict=True
    ):
        vectors[rest[start:stop]] = part
    return vectors, model


def transform_partition(texts: list[str], *, model: LexicalModel) -> np.ndarray:
    """One partition's lexical block (an engine task)."""
    return model.transform(texts)


def _from_cache(
    stored: dict[str, np.ndarray | None], n_documents: int
) -> tuple[np.ndarray | None, LexicalModel | None]:
    """The cached block and model, or ``(None, None)`` when any piece is missing or stale."""
    vectors, vocabulary, idf = stored["vectors"], stored["vocabulary"], stored["idf"]
    if vectors is None or vocabulary is None or idf is None or len(vectors) != n_documents:
        return None, None
    components = stored["components"]
    # Without SVD components the block is the TF-IDF weights themselves, one column per term.
    expected = (len(vocabulary) or 1) if components is None else components.shape[0]
    if vectors.shape[1] != expected:
        return None, None
    return vectors, LexicalModel.from_arrays({**stored, "components": components})


def lexical_fingerprint(base: str, model: LexicalModel | None) -> str:
    """The fingerprint of a run's vectors: the embedder's, plus the lexical model's digest."""
    if model is None:
        return base
    return f"{base}+{LEXICAL_WEIGHT:g}*[lexical:{model.digest()}]"


def embed_with_lexical(
    vectors: np.ndarray, texts: list[str], model: LexicalModel | None
) -> np.ndarray:
    """New documents' vectors in a run's space: the embedder's, plus the stored lexical block."""
    if model is None:
        return vectors
    return combine_blocks([vectors, model.transform(texts)], [1.0, LEXICAL_WEIGHT])
