"""Fit a core, assign the rest, through the whole pipeline (issue 9, ``cluster.fit_sample``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import ROOT, held_out_pairs, make_config, pair_documents, write_documents
from topics.pipeline import run_pipeline


@pytest.fixture(scope="module")
def sampled_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """400 documents (both sides of 200 held-out pairs); runs here share their caches."""
    tmp = tmp_path_factory.mktemp("fit-sample")
    write_documents(tmp / "pairs.jsonl", pair_documents(held_out_pairs()))
    return tmp


def _sampled(tmp: Path, *overrides: str):  # noqa: ANN202 (RunResult)
    """UMAP + HDBSCAN on 150 of the 400 documents, the rest voted in."""
    config = make_config(
        tmp,
        f"corpus.paths=[{json.dumps(str(tmp / 'pairs.jsonl'))}]",
        "cluster.fit_sample=150",
        "output.report=false",
        *overrides,
        config=ROOT / "configs" / "fast.yaml",
    )
    return run_pipeline(config)


@pytest.fixture(scope="module")
def sampled_run(sampled_dir: Path):  # noqa: ANN201 (RunResult)
    return _sampled(sampled_dir)


def test_counts_and_the_assigned_by_column(sampled_run) -> None:
    counts = sampled_run.manifest["counts"]
    assert (counts["documents"], counts["fitted"], counts["assigned"]) == (400, 150, 250)
    documents = pd.read_parquet(sampled_run.run_dir / "documents.parquet")
    assert documents["assigned_by"].value_counts().to_dict() == {"vote": 250, "fit": 150}
    assert sampled_run.manifest["settings"]["cluster.fit_sample"] == 150
    # min_cluster_size counts documents of the whole corpus: auto(400) = 7 → 3 on 150.
    assert sampled_run.manifest["settings"]["hdbscan.min_cluster_size"] == 3
    assert counts["topics"] >= 5


def test_probability_is_only_measured_where_hdbscan_saw_the_document(sampled_run) -> None:
    documents = pd.read_parquet(sampled_run.run_dir / "documents.parquet")
    voted = documents[documents["assigned_by"] == "vote"]
    fitted = documents[documents["assigned_by"] == "fit"]
    assert voted["probability"].isna().all()
    measured = fitted["probability"].dropna()
    assert len(measured) >= 80  # measured 100: the rest were outliers, then reassigned
    assert measured.between(0.0, 1.0).all() and (measured > 0).mean() > 0.9


def test_a_voted_document_joins_its_translation(sampled_run) -> None:
    """The vote keeps the fast preset's promise: a paper and its translation in one topic."""
    documents = pd.read_parquet(sampled_run.run_dir / "documents.parquet")
    documents["pair"] = documents["id"].str.split("#").str[0]
    documents["side"] = documents["id"].str.split("#").str[1]
    sides = documents.pivot(index="pair", columns="side", values="topic")
    how = documents.pivot(index="pair", columns="side", values="assigned_by")
    together = sides["zh"] == sides["en"]
    mixed = how["zh"] != how["en"]  # one side fitted, the other voted
    assert mixed.sum() >= 50
    assert together.mean() >= 0.75  # measured 0.84
    assert together[mixed].mean() >= 0.7  # measured 0.84


def test_voted_documents_sit_on_the_map_with_their_topic(sampled_run) -> None:
    documents = pd.read_parquet(sampled_run.run_dir / "documents.parquet")
    coords = np.load(sampled_run.run_dir / "map2d.npy")
    assert coords.shape == (400, 2) and np.isfinite(coords).all()
    topics = documents["topic"].to_numpy()
    voted = (documents["assigned_by"] == "vote").to_numpy()
    centres = {t: coords[(topics == t) & ~voted].mean(axis=0) for t in set(topics[~voted])}
    nearest_own = [
        min(centres, key=lambda t: np.linalg.norm(coords[row] - centres[t])) == topics[row]
        for row in np.flatnonzero(voted)
        if topics[row] in centres
    ]
    assert np.mean(nearest_own) >= 0.7


def test_words_are_counted_on_the_fitted_documents_only(sampled_run) -> None:
    """Represent tokenizes and counts the core: its counts are the fitted documents' own."""
    from topics.represent.tokens import count_terms, tokenize_texts

    documents = pd.read_parquet(sampled_run.run_dir / "documents.parquet")
    topics = sampled_run.topics  # back in reading order, like documents.parquet
    fitted = np.flatnonzero((documents["assigned_by"] == "fit").to_numpy())
    assert topics.document_term.shape[0] == 150
    assert np.array_equal(topics.term_rows, fitted)
    recounted = count_terms(
        tokenize_texts([sampled_run.corpus.texts[i] for i in fitted]), topics.vocabulary
    )
    assert (recounted != topics.document_term).nnz == 0
    # Sizes count every document, voted ones included.
    table = pd.read_csv(sampled_run.run_dir / "topics.csv")
    sizes = documents["topic"].value_counts()
    assert all(sizes[row.topic] == row.size for row in table.itertuples())
    layers = pd.read_csv(sampled_run.run_dir / "layers.csv")
    for _, nodes in layers.groupby("layer"):
        assert nodes["size"].sum() == (documents["topic"] != -1).sum()


def test_labels_come_from_the_topics_fitted_documents(sampled_run) -> None:
    documents = pd.read_parquet(sampled_run.run_dir / "documents.parquet")
    fitted = documents[documents["assigned_by"] == "fit"]
    table = pd.read_csv(sampled_run.run_dir / "topics.csv", keep_default_na=False)
    checked = 0
    for row in table[table["topic"] != -1].itertuples():
        texts = " ".join(fitted.loc[fitted["topic"] == row.topic, "text"]).lower()
        for side in (row.label_en, row.label_zh):
            for unit in filter(None, side.split(" · ")):
                assert unit.lower() in texts, (row.topic, unit)
                checked += 1
    assert checked >= 20


def test_voted_outliers_are_reduced_by_the_configured_strategy(
    sampled_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outliers outside the core meet the same strategy (c-TF-IDF tokenizes just them), a
    block at a time (blocks of 7 here: several)."""
    from topics.represent import outliers

    monkeypatch.setattr(outliers, "OUTLIER_BLOCK", 7)
    kept = pd.read_parquet(
        _sampled(sampled_dir, "run.name=none", "topics.outliers.strategy=none").run_dir
        / "documents.parquet"
    )
    reduced = pd.read_parquet(
        _sampled(sampled_dir, "run.name=ctfidf", "topics.outliers.strategy=c-tf-idf").run_dir
        / "documents.parquet"
    )
    voted = (kept["assigned_by"] == "vote").to_numpy()
    outliers = voted & (kept["topic"] == -1).to_numpy()
    assert outliers.sum() >= 5
    assert (reduced["topic"].to_numpy()[outliers] != -1).mean() >= 0.9
    # Documents that were not outliers keep their topic (ids are BERTopic's, the same fit).
    unchanged = ~(kept["topic"] == -1).to_numpy()
    assert (reduced["topic"].to_numpy()[unchanged] == kept["topic"].to_numpy()[unchanged]).all()


@pytest.mark.parametrize(
    ("setting", "n_documents", "n_core", "expected"),
    [
        ("auto", 400, 150, 3),  # auto(400) = 7, scaled 2.6 → the floor of 3
        ("auto", 10_622, 2_000, 6),  # CSL's forced core: auto 34 scaled
        ("auto", 100_000, 50_000, 52),  # auto 105 scaled: above 50,000 / 1,000
        ("auto", 1_000_000, 50_000, 50),  # scaled 17 would fragment the core: 1/1000 of it
        (200, 1_000_000, 50_000, 50),  # a given size is floored the same way
        (400, 200_000, 50_000, 100),  # ... and scaled when above the floor
    ],
)
def test_the_core_size_is_scaled_but_never_below_a_thousandth_of_the_core(
    setting, n_documents: int, n_core: int, expected: int
) -> None:
    from topics.assign.core import core_hdbscan
    from topics.config import HdbscanSection

    section = HdbscanSection(min_cluster_size=setting)
    assert core_hdbscan(section, n_documents, n_core).min_cluster_size == expected
