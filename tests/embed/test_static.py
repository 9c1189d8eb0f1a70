from __future__ import annotations

import numpy as np

from topics.config import EmbeddingSection
from topics.embed import static
from topics.embed.static import (
    SPECIAL_PIECES,
    StaticEmbedder,
    load_tokenizer,
    make_static,
    piece_log_probs,
    sif_weights,
)


def test_table_is_saved_once_and_reused_from_disk(static_embedder, static_cache):
    path = static_embedder.table_path()
    assert path is not None and path.parent == static_cache / "static"
    assert path.is_file()
    assert not list(path.parent.glob("*.tmp")), "temp file left behind"
    built, mtime = static.tables_built, path.stat().st_mtime_ns

    again = make_static(EmbeddingSection(backend="static"), static_cache)
    vectors = again.embed(["图神经网络", "graph neural networks"], ["a", "b"])

    assert static.tables_built == built, "second instance rebuilt the table"
    assert path.stat().st_mtime_ns == mtime
    assert vectors.shape == (2, 512)
    np.testing.assert_allclose(
        vectors, static_embedder.embed(["图神经网络", "graph neural networks"], ["a", "b"])
    )


def test_vectors_are_unit_float32_and_rows_follow_texts(static_embedder, pairs):
    texts = [pair["en"] for pair in pairs[:4]]
    vectors = static_embedder.embed(texts, [str(i) for i in range(4)])
    assert vectors.dtype == np.float32 and vectors.shape == (4, 512)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    reversed_vectors = static_embedder.embed(texts[::-1], [str(i) for i in range(4)])
    np.testing.assert_allclose(reversed_vectors[::-1], vectors, rtol=1e-5, atol=1e-6)


def test_translation_pairs_are_nearest_neighbours(static_embedder, pairs):
    zh = static_embedder.embed([p["zh"] for p in pairs], [p["id"] for p in pairs])
    en = static_embedder.embed([p["en"] for p in pairs], [p["id"] for p in pairs])
    similarity = zh @ en.T
    matched = np.diag(similarity)
    unmatched = similarity[~np.eye(len(pairs), dtype=bool)]
    assert matched.mean() > unmatched.mean() + 0.1
    # Each Chinese abstract's closest English abstract is its own translation for most pairs.
    recall = np.mean(similarity.argmax(axis=1) == np.arange(len(pairs)))
    assert recall >= 0.75


def test_text_without_known_pieces_gives_finite_zero_vector(static_embedder):
    vectors = static_embedder.embed(["", "   ", "a normal sentence"], ["1", "2", "3"])
    assert np.isfinite(vectors).all()
    np.testing.assert_array_equal(vectors[0], 0.0)
    assert abs(np.linalg.norm(vectors[2]) - 1.0) < 1e-5


def test_sif_weights_favour_rare_pieces():
    log_probs = piece_log_probs()
    weights = sif_weights(log_probs, 1e-3)
    assert (weights[:SPECIAL_PIECES] == 0).all()
    _, encode = load_tokenizer()
    (common,) = encode(["the"])
    (rare,) = encode(["photosynthesis"])
    assert weights[common].max() < 0.5 < weights[rare].max()
    plain = sif_weights(log_probs, None)
    assert set(np.unique(plain[SPECIAL_PIECES:])) == {1.0}


def test_fingerprint_names_every_vector_setting(static_cache):
    default = StaticEmbedder(static_cache).fingerprint()
    assert default.startswith("static:usem3-")
    assert default != StaticEmbedder(static_cache, sif_a=None).fingerprint()
    assert default != StaticEmbedder(static_cache, subtract_mean=False).fingerprint()
    assert default != StaticEmbedder(static_cache, context="bos-eos").fingerprint()
    assert "tokenizer=" in default


def test_table_is_keyed_on_the_use_version(static_cache, monkeypatch):
    """Defect 8: a new USE release must build a new table, not reuse the old one."""
    import importlib.metadata

    from topics.embed.use import USE_DISTRIBUTION

    path, fingerprint = (
        StaticEmbedder(static_cache).table_path(),
        StaticEmbedder(None).fingerprint(),
    )
    real = importlib.metadata.version
    monkeypatch.setattr(
        importlib.metadata,
        "version",
        lambda name: "99.0" if name == USE_DISTRIBUTION else real(name),
    )
    assert StaticEmbedder(static_cache).table_path() != path
    assert StaticEmbedder(None).fingerprint() != fingerprint
