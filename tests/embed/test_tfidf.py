from __future__ import annotations

import numpy as np

from topics.config import EmbeddingSection
from topics.embed.tfidf import TfidfEmbedder, fallback_tokens, make_tfidf


def test_tfidf_on_a_mixed_corpus(pairs):
    texts = [p["zh"] for p in pairs] + [p["en"] for p in pairs]
    ids = [f"{p['id']}#zh" for p in pairs] + [f"{p['id']}#en" for p in pairs]
    embedder = make_tfidf(EmbeddingSection(backend="tfidf", dimensions=100), None)
    vectors = embedder.embed(texts, ids)
    assert vectors.dtype == np.float32
    # 24 documents: the SVD is capped at n_docs - 1 components.
    assert vectors.shape == (24, 23)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(vectors, embedder.embed(texts, ids))  # fixed SVD seed
    assert embedder.corpus_fitted is True


def test_tfidf_respects_dimensions_and_tiny_corpora():
    texts = [f"topic {i % 3} words alpha{i % 3} beta{i % 3} shared" for i in range(12)]
    vectors = TfidfEmbedder(dimensions=2).embed(texts, [str(i) for i in range(12)])
    assert vectors.shape == (12, 2)
    # Documents with the same words get the same vector; different topics differ.
    assert vectors[0] @ vectors[3] > 0.99
    assert vectors[0] @ vectors[1] < 0.9
    tiny = TfidfEmbedder().embed(["只有一个文档", "and one more"], ["a", "b"])
    assert tiny.shape[0] == 2 and np.isfinite(tiny).all()


def test_fallback_tokens_split_cjk_into_bigrams_and_keep_words():
    assert fallback_tokens("基于BERT的模型 works") == ["bert", "works", "基于", "的模", "模型"]


def test_fingerprint_includes_dimensions():
    assert TfidfEmbedder(50).fingerprint() != TfidfEmbedder(100).fingerprint()


def fake_versions(monkeypatch, **changed: str) -> None:
    """Report other installed versions for some distributions (the key function reads them)."""
    import importlib.metadata

    real = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version", lambda name: changed.get(name) or real(name))


def test_fingerprint_follows_the_tokenizer(monkeypatch, tmp_path):
    """Defect 8: the vectors depend on the tokens, so must the key."""
    import shutil

    from topics.text import tokenizer

    default = TfidfEmbedder().fingerprint()
    assert default == TfidfEmbedder().fingerprint()
    fake_versions(monkeypatch, jieba="0.43.0")
    assert TfidfEmbedder().fingerprint() != default
    monkeypatch.undo()
    # An edited stopword list (a copy of topics/text with one more stopword) changes the key.
    copy = tmp_path / "text"
    shutil.copytree(tokenizer.TEXT_PACKAGE, copy)
    monkeypatch.setattr(tokenizer, "TEXT_PACKAGE", copy)
    assert TfidfEmbedder().fingerprint() == default
    with (copy / "stopwords" / "en.txt").open("a", encoding="utf-8") as stream:
        stream.write("\nmethodology\n")
    assert TfidfEmbedder().fingerprint() != default
