"""Language-centred vectors (``embedding.centre_languages``, issue 22 part 2).

A multilingual encoder that was not trained to align translations (e5) puts every Chinese
abstract on one side of the space and every English one on the other: a Chinese abstract's
nearest English neighbour is its translation in 77% / 89% of ChinaXiv pairs (zh → en / en →
zh). Removing each language's mean vector takes that offset away and leaves what the abstracts
are about: 97.5% both ways (``bench/results/e5.md``). USE and ``distilled`` are aligned already
(99.5% with or without).

So on a corpus that holds both languages (each ≥ ``topics.common.MINORITY_SHARE``), ``auto``
centres the vectors of a multilingual backend that does not keep translations together (e5,
``static``, or ``combined`` with such a part: centring the concatenation centres each block;
``static``'s ChinaXiv pairs in one topic go .33 → .68, ``bench/results/fast_embedder.md``).
Aligned backends are left alone: on a corpus whose languages hold different subjects the
language means carry subject too, and removing them merges subjects across languages
(``bench/results/centring.md``). ``on`` /
``off`` force it. The means come from the fitted documents (the core of a large run) and are
stored in the run's ``assign/`` folder, so ``topics assign`` and ``Run.predict`` centre new
documents the same way. Other languages' vectors are left as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from topics.common import is_both_languages
from topics.config import EmbeddingSection
from topics.registry import capable

#: The languages that are centred (each has its own mean).
CENTRED = ("en", "zh")
#: Rows centred per block (bounds the temporary copies at a million documents).
BLOCK_ROWS = 65_536


@dataclass(frozen=True)
class CentringChoice:
    """Whether a run centres its vectors by language, and why (written to the manifest)."""

    used: bool
    reason: str


def choose_centring(
    section: EmbeddingSection, embedder: Any, langs: Sequence[str]
) -> CentringChoice:
    """Resolve ``embedding.centre_languages`` for a corpus with these document languages."""
    if section.centre_languages == "off":
        return CentringChoice(False, "embedding.centre_languages: off")
    if section.centre_languages == "on":
        return CentringChoice(True, "embedding.centre_languages: on")
    values, counts = np.unique(np.asarray(langs, dtype=str), return_counts=True)
    shares = {str(v): float(c) / max(1, len(langs)) for v, c in zip(values, counts, strict=True)}
    if not is_both_languages(shares):
        return CentringChoice(False, "one language")
    if capable(embedder, "keeps_translations"):
        return CentringChoice(False, f"the {section.backend} backend aligns the languages")
    if not capable(embedder, "multilingual"):  # tfidf: no shared space to align
        return CentringChoice(False, f"the {section.backend} backend is not multilingual")
    return CentringChoice(True, f"both languages, and {section.backend} does not align them")


def language_means(
    vectors: np.ndarray, langs: Sequence[str], rows: np.ndarray | None = None
) -> np.ndarray:
    """``(len(CENTRED), d)``: each centred language's mean vector over ``rows`` (all when
    ``None``); a language without documents there has a zero mean."""
    langs = np.asarray(langs, dtype=str)
    rows = np.arange(len(langs)) if rows is None else np.asarray(rows, dtype=np.int64)
    means = np.zeros((len(CENTRED), vectors.shape[1]), dtype=np.float64)
    for index, lang in enumerate(CENTRED):
        chosen = rows[langs[rows] == lang]
        for start in range(0, len(chosen), BLOCK_ROWS):
            block = np.asarray(vectors[chosen[start : start + BLOCK_ROWS]], dtype=np.float64)
            means[index] += block.sum(axis=0)
        means[index] /= max(len(chosen), 1)
    return means.astype(np.float32)


def centre(
    vectors: np.ndarray,
    langs: Sequence[str],
    means: np.ndarray,
    allocate: Callable[[tuple[int, int]], np.ndarray] | None = None,
) -> np.ndarray:
    """``vectors`` with each centred language's mean removed and rows back at unit length
    (a new array, ``allocate(shape)`` when given; other languages' rows are only copied)."""
    vectors = np.asarray(vectors) if not isinstance(vectors, np.memmap) else vectors
    out = (allocate or (lambda shape: np.empty(shape, dtype=np.float32)))(vectors.shape)
    langs = np.asarray(langs, dtype=str)
    offsets = {lang: means[index] for index, lang in enumerate(CENTRED)}
    for start in range(0, len(langs), BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, len(langs))
        block = np.array(vectors[start:stop], dtype=np.float32)
        for lang, mean in offsets.items():
            block[langs[start:stop] == lang] -= mean
        norms = np.linalg.norm(block, axis=1, keepdims=True)
        out[start:stop] = block / np.where(norms == 0, 1.0, norms)
    return out


def text_langs(texts: Sequence[str]) -> list[str]:
    """``zh`` for a short text holding a Han character, else ``en`` (names' candidates)."""
    from topics.text.han import HAN

    return ["zh" if HAN.search(text) else "en" for text in texts]
