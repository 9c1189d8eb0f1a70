"""Translation policy: which vectors detect translations, and what the run does with pairs."""

from __future__ import annotations

import numpy as np
import pytest

from topics.config import EmbeddingSection
from topics.crosslingual.duplicates import THRESHOLDS
from topics.crosslingual.policy import mark_translations, translation_detector
from topics.embed.base import make_embedder
from topics.errors import ConfigError
from topics.types import Corpus, Embeddings


def test_detection_uses_the_use_vectors_of_the_run(tmp_path) -> None:
    use = make_embedder(EmbeddingSection(backend="use"), tmp_path)
    combined = make_embedder(
        EmbeddingSection(backend="combined", components=["tfidf", "use"], weights=[1.0, 1.0]),
        tmp_path,
    )

    own = translation_detector(use)
    block = translation_detector(combined)

    assert own is not None and own.embedder is use and own.threshold == THRESHOLDS["use"]
    # combined: the USE block is the detector, wherever it sits among the components.
    assert block is not None and block.embedder is combined.components[1]


@pytest.mark.parametrize("backend", ["static", "tfidf"])
def test_backends_that_cannot_tell_translations_apart_do_not_detect(backend, tmp_path) -> None:
    # static puts unrelated papers at cosine 0.92, translations at 0.62 median
    # (bench/crosslingual.py): its vectors must never decide what is dropped.
    assert translation_detector(make_embedder(EmbeddingSection(backend=backend), tmp_path)) is None


def _bilingual(n: int = 4) -> tuple[Corpus, Embeddings]:
    corpus = Corpus(
        ids=[f"d{i}" for i in range(n)],
        texts=[f"text {i}" for i in range(n)],
        titles=[None] * n,
        langs=["zh", "en"] * (n // 2),
        sources=[""] * n,
    )
    return corpus, Embeddings(np.eye(n, dtype=np.float32), backend="static", cache_key="k")


def test_dedup_translations_without_detector_vectors_is_a_config_error() -> None:
    corpus, embeddings = _bilingual()

    with pytest.raises(ConfigError, match=r"^The 'corpus.dedup' parameter 'translations' needs"):
        mark_translations(corpus, embeddings, None, "translations")
    # Without dedup the run goes on, recording nothing.
    kept, same = mark_translations(corpus, embeddings, None, "exact")
    assert kept is corpus and same is embeddings


def test_dropping_translations_drops_their_vectors_and_rekeys_the_cache() -> None:
    corpus, embeddings = _bilingual(2)
    vectors = np.array([[1.0, 0.0], [1.0, 0.0]], dtype=np.float32)  # a perfect pair
    texts = ["我们在ImageNet-100上用SimCLR提高了准确率", "SimCLR on ImageNet-100 improves accuracy"]
    corpus = Corpus(ids=["zh", "en"], texts=texts, titles=[None, None], langs=["zh", "en"],
                    sources=["", ""])  # fmt: skip

    marked, same = mark_translations(corpus, embeddings, vectors, "exact")
    dropped, fewer = mark_translations(corpus, embeddings, vectors, "translations")

    assert marked.duplicate_of == [None, "zh"] and same is embeddings
    assert dropped.ids == ["zh"] and dropped.translation_duplicates == 1
    assert fewer.vectors.shape == (1, 2) and fewer.cache_key != embeddings.cache_key
