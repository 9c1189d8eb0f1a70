from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from topics.config import EmbeddingSection
from topics.embed.precomputed import make_precomputed
from topics.errors import ConfigError, InputError

IDS = [f"doc{i}" for i in range(12)]
TEXTS = [f"text {i}" for i in range(12)]


def section(path, **extra) -> EmbeddingSection:
    return EmbeddingSection(backend="precomputed", path=str(path), **extra)


def test_npy_rows_in_corpus_order(tmp_path):
    matrix = np.arange(12 * 4, dtype=np.float64).reshape(12, 4)
    np.save(tmp_path / "embeddings.npy", matrix)
    embedder = make_precomputed(section(tmp_path / "embeddings.npy"), None)
    vectors = embedder.embed(TEXTS, IDS)
    assert vectors.dtype == np.float32
    np.testing.assert_array_equal(vectors, matrix.astype(np.float32))
    assert embedder.corpus_fitted is True
    assert f"size={(tmp_path / 'embeddings.npy').stat().st_size}" in embedder.fingerprint()


def test_npy_row_count_mismatch_is_a_one_line_input_error(tmp_path):
    np.save(tmp_path / "embeddings.npy", np.zeros((10, 4), dtype=np.float32))
    embedder = make_precomputed(section(tmp_path / "embeddings.npy"), None)
    with pytest.raises(InputError) as error:
        embedder.embed(TEXTS, IDS)
    assert str(error.value) == "embeddings.npy has 10 rows but the corpus has 12 documents."


def test_npy_with_pickled_objects_or_nan_is_refused(tmp_path):
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}] * 12, dtype=object), allow_pickle=True)
    with pytest.raises(InputError, match="objects.npy"):
        make_precomputed(section(tmp_path / "objects.npy"), None).embed(TEXTS, IDS)
    bad = np.ones((12, 3), dtype=np.float32)
    bad[5, 1] = np.nan
    np.save(tmp_path / "nan.npy", bad)
    with pytest.raises(InputError, match="row 5 .*doc5"):
        make_precomputed(section(tmp_path / "nan.npy"), None).embed(TEXTS, IDS)


def test_npy_with_all_zero_rows_is_refused(tmp_path):
    """A zero vector is a placeholder for a missing one: it has no direction to cluster by."""
    vectors = np.ones((12, 3), dtype=np.float32)
    vectors[[4, 9]] = 0.0
    np.save(tmp_path / "zeros.npy", vectors)
    with pytest.raises(InputError) as error:
        make_precomputed(section(tmp_path / "zeros.npy"), None).embed(TEXTS, IDS)
    assert str(error.value) == (
        "zeros.npy: row 4 (document 'doc4') is all zeros (2 such rows); give every document a "
        "real vector."
    )


def write_parquet(path, ids, dims=3):
    vectors = [[float(int(i[3:])), 1.0, 2.0][:dims] for i in ids]
    pq.write_table(pa.table({"doc_id": ids, "vec": vectors}), path)


def test_parquet_is_aligned_by_id(tmp_path):
    write_parquet(tmp_path / "vectors.parquet", IDS[::-1] + ["doc99"])
    embedder = make_precomputed(
        section(tmp_path / "vectors.parquet", column="vec", id_column="doc_id"), None
    )
    vectors = embedder.embed(TEXTS[3:6], IDS[3:6])  # a batch, not the whole corpus
    np.testing.assert_array_equal(vectors[:, 0], [3.0, 4.0, 5.0])
    assert embedder.corpus_fitted is False
    assert "column=vec" in embedder.fingerprint()


def test_parquet_missing_ids_and_columns_are_named(tmp_path):
    write_parquet(tmp_path / "vectors.parquet", IDS[:7])
    ok = section(tmp_path / "vectors.parquet", column="vec", id_column="doc_id")
    with pytest.raises(InputError) as error:
        make_precomputed(ok, None).embed(TEXTS, IDS)
    message = str(error.value)
    assert "5 corpus document(s)" in message
    assert "'doc7', 'doc8', 'doc9' and 2 more" in message
    assert "\n" not in message
    with pytest.raises(InputError, match="no column 'embedding' .embedding.column."):
        make_precomputed(section(tmp_path / "vectors.parquet", id_column="doc_id"), None).embed(
            TEXTS, IDS
        )


def test_config_problems_name_embedding_path(tmp_path):
    with pytest.raises(ConfigError, match="embedding.path"):
        make_precomputed(EmbeddingSection(backend="precomputed"), None)
    with pytest.raises(ConfigError, match="embedding.path.*npy or .parquet"):
        make_precomputed(section(tmp_path / "vectors.csv"), None)
    missing = make_precomputed(section(tmp_path / "absent.npy"), None)
    with pytest.raises(InputError, match="absent.npy' does not exist"):
        missing.fingerprint()


def test_npy_rows_follow_reading_order_when_the_pipeline_works_in_canonical_order(tmp_path):
    """Row i of the .npy belongs to the i-th document read, whatever order the stages use."""
    from tests.conftest import make_config
    from topics.corpus import load_corpus
    from topics.pipeline import SilentProgress, embed_corpus

    (tmp_path / "docs.jsonl").write_text(
        "".join(f'{{"id": "{i}", "abstract": "{t}"}}\n' for i, t in zip(IDS, TEXTS, strict=True))
    )
    matrix = np.eye(12, dtype=np.float32)  # row i marks document i
    np.save(tmp_path / "v.npy", matrix)
    config = make_config(
        tmp_path,
        f"corpus.paths=['{tmp_path / 'docs.jsonl'}']",
        "corpus.min_chars=1",
        "embedding.backend=precomputed",
        f"embedding.path={tmp_path / 'v.npy'}",
    )
    corpus = load_corpus(config.corpus).canonical()
    assert corpus.ids != IDS  # the canonical order differs from the reading order
    vectors = embed_corpus(corpus, config, SilentProgress()).vectors
    for row, doc_id in enumerate(corpus.ids):
        assert int(np.argmax(vectors[row])) == IDS.index(doc_id)


def test_a_precomputed_run_names_its_topics_with_the_shipped_table(tmp_path):
    """Names and word candidates fall back to the shipped `distilled` table; ``embedding.path``
    is the vectors file there, never a table to load."""
    import pandas as pd

    from tests.conftest import SAMPLE, make_config
    from topics.corpus import load_corpus
    from topics.embed import make_embedder
    from topics.pipeline import run_pipeline

    config = make_config(tmp_path, f"corpus.paths=['{SAMPLE}']")
    corpus = load_corpus(config.corpus)
    vectors = make_embedder(EmbeddingSection(backend="distilled")).embed(corpus.texts, corpus.ids)
    np.save(tmp_path / "v.npy", vectors)
    config = make_config(
        tmp_path,
        f"corpus.paths=['{SAMPLE}']",
        "embedding.backend=precomputed",
        f"embedding.path={tmp_path / 'v.npy'}",
    )
    result = run_pipeline(config)
    topics = pd.read_csv(result.run_dir / "topics.csv", keep_default_na=False)
    named = topics[topics["topic"] >= 0]
    assert len(named) >= 2 and (named["name"].str.len() > 0).all()
