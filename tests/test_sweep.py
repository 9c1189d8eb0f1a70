"""``topics sweep`` end to end on the sample: caches reused, ranking, page and best.yaml."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT
from topics.config import load_config
from topics.errors import ConfigError
from topics.sweep import run_sweep
from topics.sweep.page import pareto_front


def write_sweep(folder: Path, session_dir: Path, grid: dict) -> Path:
    path = folder / "sweep.yaml"
    spec = {
        "name": "s1",
        "base": str(ROOT / "configs" / "default.yaml"),
        "set": {"cache.dir": str(session_dir / "cache")},
        "grid": grid,
        "objective": {"metric": "npmi", "constraints": {"topics": {"min": 2}}},
    }
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


def test_sweep_reuses_caches_and_picks_a_best(
    sample_run, session_dir: Path, tmp_path: Path
) -> None:
    grid = {"hdbscan.min_cluster_size": [3, 5], "hdbscan.cluster_selection_method": ["eom", "leaf"]}
    result = run_sweep(write_sweep(tmp_path, session_dir, grid), tmp_path / "out")
    assert len(result.trials) == 4
    assert all(t["cache"] == {"embeddings": "hit", "umap": "hit"} for t in result.trials)
    assert [t["rank"] for t in result.trials] == [1, 2, 3, 4]
    folder = result.folder
    assert (folder / "sweep.html").is_file()
    page = (folder / "sweep.html").read_text("utf-8")
    assert "<script src=" not in page and "trial-01" in page
    trials = json.loads((folder / "trials.json").read_text("utf-8"))["trials"]
    assert {t["trial"] for t in trials} == {f"trial-0{i}" for i in range(1, 5)}
    for trial in trials:
        assert (folder / trial["trial"] / "manifest.json").is_file()
    best = load_config(folder / "best.yaml")
    assert best.hdbscan.min_cluster_size == result.best["settings"]["hdbscan.min_cluster_size"]
    meeting = [t for t in result.trials if t["meets_constraints"]]
    if meeting:
        assert result.best["metrics"]["npmi"] == max(t["metrics"]["npmi"] for t in meeting)


def test_sweep_rejects_invalid_grid_before_running(tmp_path: Path) -> None:
    path = write_sweep(tmp_path, tmp_path, {"umap.n_neighbors": [10, 1]})
    with pytest.raises(ConfigError, match="umap.n_neighbors"):
        run_sweep(path, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_pareto_front() -> None:
    points = [(0.2, 0.1), (0.1, 0.2), (0.3, 0.3), (0.05, 0.05)]
    assert pareto_front(points) == [True, False, True, True]
