from __future__ import annotations

import importlib.util

import pytest

from topics.config import EmbeddingSection
from topics.embed.transformers import SentenceTransformerEmbedder, make_sentence_transformers
from topics.errors import ConfigError, MissingExtraError

INSTALLED = importlib.util.find_spec("sentence_transformers") is not None


def test_model_is_required():
    with pytest.raises(ConfigError, match="'embedding.model' parameter is required"):
        make_sentence_transformers(EmbeddingSection(backend="sentence-transformers"), None)


@pytest.mark.skipif(INSTALLED, reason="only meaningful without the optional package")
def test_missing_package_names_the_extra():
    section = EmbeddingSection(backend="sentence-transformers", model="all-MiniLM-L6-v2")
    with pytest.raises(MissingExtraError) as error:
        make_sentence_transformers(section, None)
    assert "topics[transformers]" in str(error.value)
    assert "sentence-transformers" in str(error.value)
    # The embedder itself fails the same way when built directly.
    with pytest.raises(MissingExtraError, match="--extra transformers"):
        SentenceTransformerEmbedder("all-MiniLM-L6-v2").embed(["text"], ["1"])


def test_fingerprint_names_the_model():
    assert "model=all-MiniLM-L6-v2" in SentenceTransformerEmbedder("all-MiniLM-L6-v2").fingerprint()
    assert (
        SentenceTransformerEmbedder("a").fingerprint()
        != SentenceTransformerEmbedder("b").fingerprint()
    )
