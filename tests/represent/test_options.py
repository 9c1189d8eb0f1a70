"""Representation options from config, on the sample's cached embeddings (real BERTopic)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import ROOT, make_config
from topics.pipeline import run_pipeline

# Real runs in subprocesses or on real corpora: the whole suite has them, `-m "not slow"` not.
pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("name", "overrides"),
    [
        ("mmr", ["topics.representation=mmr"]),
        ("keybert", ["topics.representation=keybert"]),
        ("outliers", ["topics.outliers.strategy=embeddings", "hdbscan.min_cluster_size=5"]),
        ("reduce", ["topics.nr_topics=2", "hdbscan.min_cluster_size=3"]),
    ],
)
def test_representation_options(
    sample_run, session_dir: Path, name: str, overrides: list[str]
) -> None:
    result = run_pipeline(
        make_config(session_dir, f"run.name=opt-{name}", "output.report=false", *overrides)
    )
    table = pd.read_csv(result.run_dir / "topics.csv", keep_default_na=False)
    real = table[table["topic"] != -1]
    assert len(real) >= 1
    assert all(row.words for row in real.itertuples())
    documents = pd.read_parquet(result.run_dir / "documents.parquet")
    if name in {"mmr", "keybert"}:
        # Same clusters as the c-TF-IDF sample run; only the words may differ, and must.
        assert np.array_equal(result.topics.assignments, sample_run.topics.assignments)
        vocabulary = set(result.topics.vocabulary)
        changed = 0
        for topic, pairs in result.topics.words.items():
            if topic == -1:
                continue
            words = [w for w, _ in pairs]
            baseline = [w for w, _ in sample_run.topics.words[topic]][: len(words)]
            assert len(words) == 10 and set(words) <= vocabulary
            changed += words != baseline
        assert changed >= 1, f"{name} gave the c-TF-IDF words: the option was ignored"
    if name == "outliers":
        baseline = run_pipeline(
            make_config(
                session_dir,
                "run.name=opt-base",
                "output.report=false",
                "hdbscan.min_cluster_size=5",
                "topics.outliers.strategy=none",
            )
        )
        assert (baseline.topics.assignments == -1).any()
        assert (documents["topic"] == -1).sum() < (baseline.topics.assignments == -1).sum()
    if name == "reduce":
        assert len(real) == 2
    assert result.manifest["cache"]["embeddings"] == "hit"
    # Reassigning outliers or merging topics must keep the vocabulary and its df floor.
    assert result.manifest["metrics"]["hygiene"] == 0


def test_keybert_follows_the_run_seed() -> None:
    from topics.config import TopicsSection
    from topics.registry import representations

    section = TopicsSection(representation="keybert")
    assert representations.get("keybert")(section, seed=7).random_state == 7
    assert representations.get("keybert")(section, seed=123).random_state == 123


def test_killed_run_keeps_previous_report_and_cache(sample_run, session_dir: Path) -> None:
    """SIGKILL in the middle of a run: the finished report and every cache file stay usable."""
    before = {p.name: p.read_bytes() for p in sample_run.run_dir.iterdir() if p.is_file()}
    command = [
        sys.executable,
        "-m",
        "topics",
        "run",
        str(ROOT / "configs" / "default.yaml"),
        "--set",
        f"output.dir={session_dir / 'reports'}",
        "--set",
        f"cache.dir={session_dir / 'cache'}",
        "--set",
        "run.seed=7",
    ]  # a new seed: UMAP must be refitted, so there is time to kill
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    time.sleep(12)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    after = {p.name: p.read_bytes() for p in sample_run.run_dir.iterdir() if p.is_file()}
    assert after == before
    for path in (session_dir / "cache").rglob("*.npz"):
        with np.load(path) as data:
            assert data.files
