"""``topics sweep`` end to end on the sample: caches reused, ranking, page and best.yaml."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT
from topics.config import load_config
from topics.errors import ConfigError
from topics.sweep import rank_trials, run_sweep
from topics.sweep.page import pareto_front
from topics.sweep.spec import SweepSpec

# Real runs in subprocesses or on real corpora: the whole suite has them, `-m "not slow"` not.
pytestmark = pytest.mark.slow


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
    assert all(t["cache"]["embeddings"] == t["cache"]["umap"] == "hit" for t in result.trials)
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
    settings = result.best["settings"]
    assert best.hdbscan.min_cluster_size == settings["hdbscan.min_cluster_size"]
    assert best.hdbscan.cluster_selection_method == settings["hdbscan.cluster_selection_method"]
    # On the sample every setting finds ≥ 2 topics, so all meet the constraint and the ranking
    # is by NPMI alone, highest first.
    assert all(t["meets_constraints"] for t in result.trials)
    npmis = [t["metrics"]["npmi"] for t in result.trials]
    assert all(isinstance(v, float) for v in npmis)
    assert npmis == sorted(npmis, reverse=True)
    assert result.best is result.trials[0] and result.best["metrics"]["npmi"] == max(npmis)
    assert [t["rank"] for t in trials] == [1, 2, 3, 4]
    assert [t["metrics"]["npmi"] for t in trials] == npmis


def test_sweep_rejects_invalid_grid_before_running(tmp_path: Path) -> None:
    path = write_sweep(tmp_path, tmp_path, {"umap.n_neighbors": [10, 1]})
    with pytest.raises(ConfigError) as error:
        run_sweep(path, tmp_path / "out")
    assert str(error.value) == (
        f"{path}: grid umap.n_neighbors=1: The 'umap.n_neighbors' parameter must be an int ≥ 2 "
        "or 'auto'. Got 1 instead."
    )
    assert not (tmp_path / "out").exists()


def test_sweep_file_with_a_key_written_twice_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "sweep.yaml"
    path.write_text("grid:\n  umap.n_neighbors: [5]\ngrid:\n  umap.n_neighbors: [9]\n")
    with pytest.raises(ConfigError) as error:
        run_sweep(path, tmp_path / "out")
    assert str(error.value) == (
        f"{path}:3: the key 'grid' appears twice in one section (first on line 1); keep one."
    )
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "grid:\n  umap.n_neighbors: [5]\nobjective:\n  metric: nmi\n",
            ":4: The 'objective.metric' parameter must be one of ['npmi', ",
        ),
        (
            "grid:\n  umap.n_neighbors: [5]\nobjective:\n  constraints:\n    outliers: {max: 1}\n",
            ":4: The 'objective.constraints' parameter must be keyed by metric names (npmi, ",
        ),
        ("grid: {}\n", ":1: The 'grid' parameter must be a mapping of at least one dotted key"),
        ("grid:\n  umap.n_neighbors: []\n", "(umap.n_neighbors has none)"),
        ("- grid\n", ": expected a mapping (base, grid, ...), got list."),
    ],
)
def test_sweep_file_mistakes_are_named_before_any_trial(
    text: str, message: str, tmp_path: Path
) -> None:
    """A metric typo used to rank every trial as 'missing' and call the first one best."""
    path = tmp_path / "sweep.yaml"
    base = "" if text.startswith("-") else f"base: {ROOT / 'configs' / 'default.yaml'}\n"
    path.write_text(base + text, encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        run_sweep(path, tmp_path / "out")
    shift = 1 if base else 0  # the base line comes first
    expected = message.replace(":4:", f":{4 + shift}:").replace(":1:", f":{1 + shift}:")
    assert str(error.value).startswith(str(path)) and expected in str(error.value)
    assert not (tmp_path / "out").exists()


def test_sweep_base_that_does_not_exist_names_the_sweep_line(tmp_path: Path) -> None:
    path = tmp_path / "sweep.yaml"
    path.write_text("name: s\nbase: nope.yaml\ngrid:\n  umap.n_neighbors: [5]\n")
    with pytest.raises(ConfigError) as error:
        run_sweep(path, tmp_path / "out")
    assert str(error.value) == (
        f"{path}:2: The sweep's base config '{tmp_path / 'nope.yaml'}' does not exist."
    )


def test_every_metric_a_run_reports_can_be_a_sweep_objective() -> None:
    import numpy as np
    from scipy import sparse

    from topics.evaluate.metrics import METRIC_NAMES, evaluate

    doc_term = sparse.csr_matrix(np.array([[1, 0, 2], [0, 1, 1], [1, 1, 0], [2, 0, 1]]))
    metrics = evaluate(
        doc_term,
        ["alpha", "beta", "gamma"],
        {0: ["alpha", "gamma"], 1: ["beta"]},
        np.array([0, 1, 0, -1]),
        ["a", "b", "a", "b"],
    )
    assert set(metrics) | {"stability_ari", "generic_label_share"} == set(METRIC_NAMES)
    for name in METRIC_NAMES:
        assert SweepSpec.model_validate(
            {"base": "x.yaml", "grid": {"umap.n_neighbors": [5]}, "objective": {"metric": name}}
        )


def test_sweep_checks_every_trial_before_the_first_runs(tmp_path: Path) -> None:
    """A trial that cannot run (here: no USE vectors for translation dedup) fails up front."""
    path = write_sweep(
        tmp_path,
        tmp_path,
        {"embedding.backend": ["use", "static"], "corpus.dedup": ["translations"]},
    )
    with pytest.raises(ConfigError, match="'corpus.dedup'.*needs USE vectors.*'static'"):
        run_sweep(path, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "cache").exists()


def test_sweep_cli_survives_a_trial_without_topics(
    sample_run, session_dir: Path, tmp_path: Path
) -> None:
    """``topics sweep`` end to end; a trial that finds 0 topics (no NPMI) used to traceback."""
    path = write_sweep(tmp_path, session_dir, {"hdbscan.min_cluster_size": [3, 1000]})
    out = tmp_path / "out"
    env = os.environ | {"COLUMNS": "200", "NO_COLOR": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "topics", "sweep", str(path), "--output-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    folder = Path(result.stdout.strip().splitlines()[-1])
    assert folder == out / "s1"
    trials = json.loads((folder / "trials.json").read_text("utf-8"))["trials"]
    by_name = {t["trial"]: t for t in trials}
    empty = by_name["trial-02"]
    assert empty["metrics"]["topics"] == 0 and empty["metrics"]["npmi"] is None
    assert empty["meets_constraints"] is False and empty["rank"] == 2
    assert by_name["trial-01"]["rank"] == 1 and by_name["trial-01"]["metrics"]["topics"] >= 2
    assert "best: trial-01" in result.stderr
    assert load_config(folder / "best.yaml").hdbscan.min_cluster_size == 3
    page = (folder / "sweep.html").read_text("utf-8")
    for block in ("figure-data", "rows-data"):  # strict JSON: a NaN would break JSON.parse
        text = page.split(f'id="{block}">', 1)[1].split("</script>", 1)[0]
        json.loads(text, parse_constant=pytest.fail)
    assert "trial-02" in page


def test_rank_trials_puts_missing_metrics_last() -> None:
    spec = SweepSpec(base="x.yaml", grid={"hdbscan.min_cluster_size": [3, 5, 9]})
    trials = [
        {"trial": "a", "metrics": {"npmi": None, "topics": 0, "outlier_share": 1.0}},
        {"trial": "b", "metrics": {"npmi": 0.05, "topics": 4, "outlier_share": 0.0}},
        {"trial": "c", "metrics": {"npmi": 0.10, "topics": 1, "outlier_share": 0.0}},
        {"trial": "d", "metrics": {"npmi": 0.02, "topics": 6, "outlier_share": 0.1}},
    ]
    ranked = rank_trials(trials, spec)
    assert [t["trial"] for t in ranked] == ["b", "d", "c", "a"]
    assert [t["meets_constraints"] for t in ranked] == [True, True, False, False]
    assert [t["rank"] for t in ranked] == [1, 2, 3, 4]


def test_pareto_front() -> None:
    points = [(0.2, 0.1), (0.1, 0.2), (0.3, 0.3), (0.05, 0.05)]
    assert pareto_front(points) == [True, False, True, True]
    # A trial without topics has no NPMI: never on the front, and it dominates nothing.
    nan = float("nan")
    assert pareto_front([(nan, 1.0), (0.1, 0.2), (0.05, 0.3)]) == [False, True, False]


def test_a_dask_sweep_starts_one_cluster_for_all_trials(
    session_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every trial runs on the sweep's one engine (a LocalCluster per trial costs seconds)."""
    import distributed

    started: list[object] = []
    real = distributed.LocalCluster

    def counted(*args: object, **kwargs: object) -> object:  # the real cluster, counted
        cluster = real(*args, **kwargs)
        started.append(cluster)
        return cluster

    monkeypatch.setattr(distributed, "LocalCluster", counted)
    path = tmp_path / "sweep.yaml"
    spec = {
        "name": "dask-sweep",
        "base": str(ROOT / "configs" / "fast.yaml"),
        "set": {
            "cache.enabled": False,  # every trial embeds and tokenizes on the workers
            "engine.kind": "dask",
            "engine.workers": 1,
        },
        "grid": {"hdbscan.min_cluster_size": [3, 5]},
        "report": False,
        "objective": {"metric": "npmi"},
    }
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    result = run_sweep(path, tmp_path / "out")
    assert len(result.trials) == 2 and len(started) == 1
    manifests = [
        json.loads((result.folder / t["trial"] / "manifest.json").read_text("utf-8"))
        for t in result.trials
    ]
    assert all(m["settings"]["engine.kind"] == "dask" for m in manifests)
