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


def test_fingerprint_names_the_cached_hub_revision(monkeypatch, tmp_path):
    """Defect 8: a hub model updated upstream must not reuse the old model's vectors."""
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    refs = tmp_path / "models--sentence-transformers--all-MiniLM-L6-v2" / "refs"
    refs.mkdir(parents=True)
    (refs / "main").write_text("c9745ed1d9f207416be6d2e6f8de32d1f16199bf", "utf-8")
    first = SentenceTransformerEmbedder("all-MiniLM-L6-v2").fingerprint()
    assert "revision=c9745ed1d9f207416be6d2e6f8de32d1f16199bf" in first
    assert SentenceTransformerEmbedder("all-MiniLM-L6-v2").fingerprint() == first
    (refs / "main").write_text("8b3219a92973c328a8e22fadcfa821b5dc75636a", "utf-8")
    assert SentenceTransformerEmbedder("all-MiniLM-L6-v2").fingerprint() != first


def test_model_not_downloaded_yet_is_never_served_from_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    embedder = SentenceTransformerEmbedder("org/new-model")
    assert "revision=unresolved-" in embedder.fingerprint()
    assert embedder.fingerprint() == embedder.fingerprint()  # fixed for one instance
    assert SentenceTransformerEmbedder("org/new-model").fingerprint() != embedder.fingerprint()


def test_local_model_folder_is_keyed_by_its_files(tmp_path):
    model = tmp_path / "my-model"
    model.mkdir()
    (model / "config.json").write_text('{"hidden_size": 384}', "utf-8")
    (model / "model.safetensors").write_bytes(b"\0" * 64)
    first = SentenceTransformerEmbedder(str(model)).fingerprint()
    assert f"model={model.resolve()}" in first and "revision=local-" in first
    assert SentenceTransformerEmbedder(str(model)).fingerprint() == first
    (model / "model.safetensors").write_bytes(b"\1" * 128)  # retrained weights, same path
    assert SentenceTransformerEmbedder(str(model)).fingerprint() != first
