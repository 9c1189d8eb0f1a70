"""End-to-end runs of the real pipeline (USE, UMAP, HDBSCAN, BERTopic) on the shipped sample."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import ROOT, SAMPLE, make_config, write_documents
from topics.corpus.texts import DiskTexts
from topics.errors import InputError
from topics.pipeline import run_pipeline
from topics.text.stopwords import stopwords

SEED_MARKER = "translated by 谷歌翻译"


def distinct_sample_abstracts() -> set[str]:
    texts = set()
    for path in SAMPLE.glob("*.txt"):
        paragraphs = path.read_text(encoding="utf-8").split(SEED_MARKER)
        texts.update(" ".join(p.split()) for p in paragraphs if p.strip())
    return texts


def test_run_folder_has_every_file(sample_run) -> None:
    run_dir = sample_run.run_dir
    for name in [
        "topics.csv",
        "documents.parquet",
        "manifest.json",
        "topic_words.json",
        "map2d.npy",
        "topic_vectors.npy",
        "index.html",
    ]:
        assert (run_dir / name).is_file(), name
    assert (run_dir / "model" / "topics.json").is_file()
    assert any((run_dir / "model").glob("*.safetensors"))
    assert not list(run_dir.parent.glob(".*tmp-*")), "temporary folder left behind"
    # Texts and vectors lived in unlinked scratch files: nothing of them is left anywhere.
    assert not list(run_dir.parents[1].rglob("topics-*")), "scratch file left behind"
    assert isinstance(sample_run.corpus.texts, DiskTexts)


def test_every_distinct_sample_abstract_is_a_document(sample_run) -> None:
    documents = pd.read_parquet(sample_run.run_dir / "documents.parquet")
    expected = distinct_sample_abstracts()
    assert len(expected) == 54
    assert set(documents["text"]) == expected
    assert list(documents.columns[:6]) == ["id", "title", "text", "lang", "topic", "probability"]
    assert set(documents["lang"]) <= {"zh", "en", "other"}
    assert {"zh", "en"} <= set(documents["lang"])


def test_manifest_counts_timings_and_metrics(sample_run) -> None:
    manifest = json.loads((sample_run.run_dir / "manifest.json").read_text("utf-8"))
    counts = manifest["counts"]
    assert counts["documents_read"] == 60
    assert counts["duplicates_dropped"] == 6
    assert counts["documents"] == 54
    assert counts["topics"] >= 2
    documents = pd.read_parquet(sample_run.run_dir / "documents.parquet")
    assert counts["outliers"] == int((documents["topic"] == -1).sum())
    assert counts["topics"] == len(set(documents["topic"]) - {-1})
    # Below cluster.fit_sample every document is fitted; none is voted in.
    assert (counts["fitted"], counts["assigned"]) == (54, 0)
    assert set(documents["assigned_by"]) == {"fit"}
    # Every stage that ran is timed, nothing else, and the stages fit inside the total.
    stages = [
        "load",
        "embed",
        "reduce",
        "cluster",
        "represent",
        "evaluate",
        "map2d",
        "layers",
        "names",
        "outputs",
    ]
    timings = manifest["timings"]
    assert list(timings) == [*stages, "report", "total"]
    assert sum(timings[stage] for stage in [*stages, "report"]) <= timings["total"] + 0.01
    assert manifest["config"]["run"]["seed"] == 42
    assert manifest["versions"]["bertopic"] == "0.17.4"
    assert {"npmi", "diversity", "outlier_share", "hygiene"} <= set(manifest["metrics"])


def test_topics_table_columns_and_sizes(sample_run) -> None:
    table = pd.read_csv(sample_run.run_dir / "topics.csv")
    for column in [
        "topic",
        "size",
        "label",
        "words",
        "share_zh",
        "share_en",
        "label_en",
        "label_zh",
        "words_en",
        "words_zh",
    ]:
        assert column in table.columns
    assert table["size"].sum() == 54
    if -1 in set(table["topic"]):
        assert table["topic"].iloc[0] == -1


def test_topic_words_are_clean(sample_run) -> None:
    """No stopword, number or punctuation in any top-10 (field notes: 的_我们_和_了)."""
    stop = stopwords()
    table = pd.read_csv(sample_run.run_dir / "topics.csv", keep_default_na=False)
    for row in table[table["topic"] != -1].itertuples():
        words = row.words.split(" | ")[:10]
        assert words and words != [""], f"topic {row.topic} has no words"
        for word in words:
            assert word.lower() not in stop and word not in stop, (row.topic, word)
            assert not re.fullmatch(r"[\d.,%]+", word), (row.topic, word)
            assert re.search(r"\w", word), (row.topic, word)
            assert len(word) > 1, (row.topic, word)


def test_topics_mix_languages(sample_run) -> None:
    """The sample's Chinese translations and English originals share subjects (ML papers)."""
    table = pd.read_csv(sample_run.run_dir / "topics.csv")
    real = table[table["topic"] != -1]
    mixed = real[(real["share_zh"] > 0) & (real["share_en"] > 0)]
    assert len(mixed) >= 1


def test_second_run_reuses_embeddings_and_umap(sample_run, session_dir: Path) -> None:
    cache = session_dir / "cache" / "embeddings"
    shards_before = sorted(p.name for p in cache.rglob("shard-*.npz"))
    result = run_pipeline(
        make_config(
            session_dir, "run.name=again", "hdbscan.min_cluster_size=3", "output.report=false"
        )
    )
    assert result.manifest["cache"] == {"embeddings": "hit", "umap": "hit", "map2d": "hit"}
    assert sorted(p.name for p in cache.rglob("shard-*.npz")) == shards_before
    # The map read back from the cache is the first run's, row for row (documents included).
    first = pd.read_parquet(sample_run.run_dir / "documents.parquet")["id"].tolist()
    second = pd.read_parquet(result.run_dir / "documents.parquet")["id"].tolist()
    assert second == first
    np.testing.assert_array_equal(
        np.load(result.run_dir / "map2d.npy"), np.load(sample_run.run_dir / "map2d.npy")
    )


def _assignments(run_dir: Path) -> dict[str, tuple[int, float | None]]:
    """``id -> (topic, probability)``; a missing probability (NaN) compares as ``None``."""
    documents = pd.read_parquet(run_dir / "documents.parquet")
    return {
        row.id: (int(row.topic), None if pd.isna(row.probability) else round(row.probability, 5))
        for row in documents.itertuples()
    }


def test_same_topics_from_cold_caches_and_any_file_order(tmp_path: Path) -> None:
    """Issue 8 #10: the five sample files listed in reverse gave ARI 0.37-0.55 and other ids.

    Both runs start from an empty cache: USE vectors move by ~1e-7 with the batch a text was
    first embedded in (see ``UseEmbedder``), so a warm cache filled by other corpora may give
    another partition; two cold runs embed the same canonical batches whatever the file order.
    """
    files = sorted(str(path) for path in SAMPLE.glob("*.txt"))
    assert len(files) == 5
    cheap = ["output.report=false", "output.save_model=false"]
    forward = run_pipeline(make_config(tmp_path / "forward", "run.name=forward", *cheap))
    reverse = run_pipeline(
        make_config(
            tmp_path / "reverse",  # its own empty cache: embedded from files read in reverse
            "run.name=reverse",
            f"corpus.paths={json.dumps(files[::-1])}",
            *cheap,
        )
    )
    assert forward.manifest["cache"]["embeddings"] == "miss"
    assert reverse.manifest["cache"]["embeddings"] == "miss"

    first = _assignments(forward.run_dir)
    assert len({topic for topic, _ in first.values()} - {-1}) >= 3
    assert _assignments(reverse.run_dir) == first  # same ids for the duplicated abstracts too
    # The map matches document by document, though the rows come in another order.
    reverse_ids = pd.read_parquet(reverse.run_dir / "documents.parquet")["id"].tolist()
    first_ids = pd.read_parquet(forward.run_dir / "documents.parquet")["id"].tolist()
    row_of = {doc_id: row for row, doc_id in enumerate(first_ids)}
    np.testing.assert_array_equal(
        np.load(reverse.run_dir / "map2d.npy"),
        np.load(forward.run_dir / "map2d.npy")[[row_of[i] for i in reverse_ids]],
    )
    # Outputs keep each run's reading order: the reversed run starts with the last file.
    stems = [Path(f).stem for f in files]
    reverse_files = [stems.index(doc_id.split(":")[0]) for doc_id in reverse_ids]
    assert reverse_files == sorted(reverse_files, reverse=True)
    assert [stems.index(i.split(":")[0]) for i in first_ids] == sorted(reverse_files)


def test_language_warning_is_one_line_with_the_right_numbers(sample_run) -> None:
    """Issue 8 #11: one warning per one-language topic became 108 lines on a 100k run."""
    manifest = json.loads((sample_run.run_dir / "manifest.json").read_text("utf-8"))
    table = pd.read_csv(sample_run.run_dir / "topics.csv")
    real = table[(table["topic"] != -1) & (table["size"] >= 5)]
    one_language = real[(real["share_zh"] >= 0.95) | (real["share_en"] >= 0.95)]
    detail = manifest["diagnostics"]["language_split"]
    assert sorted(t["topic"] for t in detail["topics"]) == sorted(one_language["topic"])
    assert detail["documents"] == one_language["size"].sum()
    assert detail["document_share"] == round(one_language["size"].sum() / 54, 4)
    assert sample_run.warnings == manifest["warnings"]
    if len(one_language):
        assert len(manifest["warnings"]) == 1
        n_topics = manifest["counts"]["topics"]
        assert manifest["warnings"][0].startswith(
            f"{len(one_language)} of {n_topics} topics "
            f"({one_language['size'].sum() / 54:.0%} of documents) are ≥95% one language"
        )
    else:
        assert manifest["warnings"] == []


def test_failed_run_leaves_previous_report_untouched(sample_run, session_dir: Path) -> None:
    before = {p.name: p.read_bytes() for p in sample_run.run_dir.iterdir() if p.is_file()}
    config = make_config(session_dir, f'corpus.paths=["{session_dir / "missing.jsonl"}"]')
    with pytest.raises(InputError):
        run_pipeline(config)
    after = {p.name: p.read_bytes() for p in sample_run.run_dir.iterdir() if p.is_file()}
    assert after == before


def test_atomic_folder_discards_partial_output(tmp_path: Path) -> None:
    from topics.run_folder import atomic_run_folder

    with atomic_run_folder(tmp_path, "run") as folder:
        (folder / "topics.csv").write_text("old", "utf-8")
    with pytest.raises(RuntimeError), atomic_run_folder(tmp_path, "run") as folder:
        (folder / "topics.csv").write_text("half", "utf-8")
        raise RuntimeError("stage failed")
    assert (tmp_path / "run" / "topics.csv").read_text("utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_csv_cells_are_formula_safe() -> None:
    from topics.run_folder.write import safe_csv_cell

    assert safe_csv_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert safe_csv_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_csv_cell("plain") == "plain"
    assert safe_csv_cell(3) == 3


def test_documents_are_written_in_row_groups_that_change_nothing(
    sample_run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """documents.parquet is written a chunk of rows at a time (bounded memory at 1M rows)."""
    import pyarrow.parquet as pq

    from topics.run_folder import write as files

    written = pd.read_parquet(sample_run.run_dir / "documents.parquet")
    layers = {c: written[c].to_numpy() for c in sample_run.manifest["layers"][1:]}
    monkeypatch.setattr(files, "DOCUMENT_CHUNK", 7)
    again = tmp_path / "documents.parquet"
    files.write_documents(
        sample_run.corpus, sample_run.topics, again, written["assigned_by"].to_numpy(), layers
    )
    assert pq.ParquetFile(again).num_row_groups == -(-len(written) // 7)
    pd.testing.assert_frame_equal(pd.read_parquet(again), written)
    # A document with no measured membership is missing (null), not a NaN number.
    probability = pq.read_table(again).column("probability")
    assert probability.null_count == int(written["probability"].isna().sum())


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([None, None], "null"),
        ([None, "a", "b"], "string"),
        ([3, None, 4], "int64"),
        ([3, 2.5, None], "double"),
        ([True, False], "bool"),
        (np.array([1.5, np.nan], dtype=np.float32), "float"),
        (np.array([1, 2], dtype=np.int64), "int64"),
    ],
)
def test_a_column_is_typed_as_the_whole_column_would_be(values, expected: str) -> None:
    """documents.parquet's column types come from one value per Python type (no full copy)."""
    import pyarrow as pa

    from topics.run_folder import write as files

    assert str(files._column_type(values)) == expected
    assert files._column_type(values) == pa.array(values, from_pandas=True).type


def test_a_corpus_sharing_one_word_keeps_its_topics_without_words(tmp_path: Path) -> None:
    """Formula-and-URL abstracts leave one vocabulary term: BERTopic's c-TF-IDF failed on it."""
    from topics.text.tokenizer import MixedTokenizer

    records = [
        {"id": f"f{i}", "abstract": f"$x_{i}^2 + y = {i}$ http://example.com/{i} {i * 7} {i * 13}"}
        for i in range(120)
    ]
    corpus = write_documents(tmp_path / "formulas.jsonl", records)
    assert set(MixedTokenizer()(records[0]["abstract"])) == {"example"}
    config = make_config(
        tmp_path,
        f"corpus.paths=[{json.dumps(str(corpus))}]",
        "output.report=false",
        config=ROOT / "configs" / "fast.yaml",
    )
    result = run_pipeline(config)
    table = pd.read_csv(result.run_dir / "topics.csv", keep_default_na=False)
    documents = pd.read_parquet(result.run_dir / "documents.parquet")
    real = table[table["topic"] != -1]
    assert len(real) >= 2 and (real["words"] == "").all()
    assert sorted(documents["topic"].unique()) == sorted(table["topic"])
    assert table.set_index("topic")["size"].to_dict() == documents["topic"].value_counts().to_dict()


def test_a_run_that_finds_no_topic_says_why(session_dir: Path) -> None:
    config = make_config(session_dir, "hdbscan.min_cluster_size=100", "run.name=no-topics")
    result = run_pipeline(config)
    manifest = json.loads((result.run_dir / "manifest.json").read_text("utf-8"))
    assert manifest["counts"]["topics"] == 0
    assert manifest["warnings"][0].startswith(
        "no topics: every one of the 54 documents is an outlier (hdbscan.min_cluster_size=100;"
    )
    assert result.warnings == manifest["warnings"]
    assert (result.run_dir / "index.html").is_file()
