from __future__ import annotations

import numpy as np
import pytest

from topics.config import EmbeddingSection
from topics.embed.combined import CombinedEmbedder, make_combined
from topics.embed.precomputed import make_precomputed
from topics.embed.tfidf import TfidfEmbedder
from topics.errors import ConfigError


@pytest.fixture
def corpus(pairs):
    texts = [p["en"] for p in pairs]
    return texts, [p["id"] for p in pairs]


def test_blocks_are_weighted_and_rows_unit_length(tmp_path, corpus):
    texts, ids = corpus
    raw = np.random.default_rng(0).normal(size=(len(texts), 7)) * 5
    np.save(tmp_path / "vectors.npy", raw)
    section = EmbeddingSection(
        backend="combined",
        components=["precomputed", "tfidf"],
        weights=[1.0, 2.0],
        path=str(tmp_path / "vectors.npy"),
        dimensions=4,
    )
    embedder = make_combined(section, None)
    vectors = embedder.embed(texts, ids)
    assert vectors.dtype == np.float32 and vectors.shape == (len(texts), 7 + 4)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    # Unit blocks times weights 1 and 2: the tfidf block holds twice the norm of the other.
    ratio = np.linalg.norm(vectors[:, 7:], axis=1) / np.linalg.norm(vectors[:, :7], axis=1)
    np.testing.assert_allclose(ratio, 2.0, rtol=1e-4)
    assert embedder.corpus_fitted is True
    assert "precomputed:" in embedder.fingerprint() and "2*[tfidf:" in embedder.fingerprint()


def test_default_use_and_tfidf(corpus):
    texts, ids = corpus
    embedder = make_combined(EmbeddingSection(backend="combined", dimensions=3), None)
    vectors = embedder.embed(texts[:4], ids[:4])
    assert vectors.shape == (4, 512 + 3)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)


def test_fingerprint_changes_with_weights(tmp_path):
    np.save(tmp_path / "v.npy", np.ones((2, 2)))
    first = make_precomputed(
        EmbeddingSection(backend="precomputed", path=str(tmp_path / "v.npy")), None
    )
    a = CombinedEmbedder([first, TfidfEmbedder()], [1.0, 1.0]).fingerprint()
    b = CombinedEmbedder([first, TfidfEmbedder()], [1.0, 1.5]).fingerprint()
    assert a != b


@pytest.mark.parametrize(
    ("components", "weights", "message"),
    [
        (["use", "tfidf"], [1.0], r"'embedding.weights' parameter needs one weight per component"),
        (["use", "combined"], [1.0, 1.0], r"'embedding.components' .*cannot include 'combined'"),
        (["use", "tfdif"], [1.0, 1.0], r"'embedding.components' .*Got \['tfdif'\]"),
        ([], [], r"'embedding.components' parameter must list at least one"),
    ],
)
def test_invalid_combinations_are_config_errors(components, weights, message):
    section = EmbeddingSection(backend="combined", components=components, weights=weights)
    with pytest.raises(ConfigError, match=message):
        make_combined(section, None)
