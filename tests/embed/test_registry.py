from __future__ import annotations

import pytest

from topics.config import EmbeddingSection
from topics.embed import Embedder, make_embedder
from topics.errors import ConfigError
from topics.registry import embedders

BACKENDS = ["combined", "precomputed", "sentence-transformers", "static", "tfidf", "use"]


def test_every_backend_is_registered():
    assert set(BACKENDS) <= set(embedders.names())


@pytest.mark.parametrize("backend", ["use", "static", "tfidf", "combined"])
def test_factories_build_embedders_without_loading_models(backend, tmp_path):
    embedder = make_embedder(EmbeddingSection(backend=backend), tmp_path)
    assert isinstance(embedder, Embedder)
    assert embedder.name == backend
    assert embedder.fingerprint()
    assert not (tmp_path / "static").exists(), "a constructor computed something"


def test_unknown_backend_suggests_a_name():
    with pytest.raises(ConfigError, match="Did you mean 'static'"):
        make_embedder(EmbeddingSection(backend="statc"))
