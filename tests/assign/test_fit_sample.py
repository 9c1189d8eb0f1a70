"""Fit a core, assign the rest, through the whole pipeline (issue 9, ``cluster.fit_sample``)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tests.conftest import ROOT, held_out_pairs, make_config, pair_documents, write_documents
from topics.pipeline import run_pipeline


@pytest.fixture(scope="module")
def sampled_run(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201 (RunResult)
    """400 documents (both sides of 200 held-out pairs), UMAP + HDBSCAN on 150 of them."""
    tmp = tmp_path_factory.mktemp("fit-sample")
    write_documents(tmp / "pairs.jsonl", pair_documents(held_out_pairs()))
    config = make_config(
        tmp,
        f"corpus.paths=[{json.dumps(str(tmp / 'pairs.jsonl'))}]",
        "cluster.fit_sample=150",
        "output.report=false",
        config=ROOT / "configs" / "fast.yaml",
    )
    return run_pipeline(config)


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
