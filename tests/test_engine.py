"""``engine: local | dask``: the same run on a Dask LocalCluster (issue 9, item 5)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from tests.conftest import ROOT, held_out_pairs, make_config, pair_documents, write_documents
from topics.config import EngineSection, TopicsSection
from topics.engine import LocalEngine, RowPartitions, partition_bounds, worker_processes
from topics.errors import InputError
from topics.pipeline import run_pipeline
from topics.represent.tokens import _TOKENIZED, build_vocabulary, split_on_spaces

# Real runs in subprocesses or on real corpora: the whole suite has them, `-m "not slow"` not.
pytestmark = pytest.mark.slow


def _run(tmp: Path, corpus: Path, name: str, *overrides: str):  # noqa: ANN202 (RunResult)
    config = make_config(
        tmp,
        f"corpus.paths=[{json.dumps(str(corpus))}]",
        f"run.name={name}",
        "cluster.fit_sample=150",  # the vote (assignment) runs as tasks too
        "engine.partition_size=100",  # several partitions per stage
        "cache.enabled=false",  # every stage computes, none reads the other run's cache
        "output.report=false",
        *overrides,
        config=ROOT / "configs" / "fast.yaml",
    )
    return run_pipeline(config)


@pytest.fixture(scope="module")
def engine_runs(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    tmp = tmp_path_factory.mktemp("engines")
    corpus = write_documents(tmp / "pairs.jsonl", pair_documents(held_out_pairs()))
    local = _run(tmp, corpus, "local", "engine.processes=1")
    _TOKENIZED.clear()  # the in-memory token cache would spare the Dask run its tokenizing
    dask = _run(tmp, corpus, "dask", "engine.kind=dask", "engine.workers=2")
    _TOKENIZED.clear()
    forked = _run(tmp, corpus, "forked", "engine.processes=2")
    return local, dask, forked


@pytest.mark.parametrize("other", ["dask", "forked local workers"])
def test_dask_and_forked_runs_agree_with_one_process(engine_runs, other: str) -> None:
    local, dask = engine_runs[0], engine_runs[1 if other == "dask" else 2]
    assert local.manifest["counts"] == dask.manifest["counts"]
    assert local.manifest["counts"]["assigned"] == 250 and local.manifest["counts"]["topics"] >= 5
    ours = pd.read_parquet(local.run_dir / "documents.parquet")
    theirs = pd.read_parquet(dask.run_dir / "documents.parquet")
    shared = [c for c in ours.columns if c not in {"assigned_at"}]
    pd.testing.assert_frame_equal(ours[shared], theirs[shared])
    pd.testing.assert_frame_equal(
        pd.read_csv(local.run_dir / "topics.csv"), pd.read_csv(dask.run_dir / "topics.csv")
    )
    np.testing.assert_allclose(
        np.load(local.run_dir / "map2d.npy"), np.load(dask.run_dir / "map2d.npy"), atol=1e-5
    )
    assert local.manifest["metrics"] == dask.manifest["metrics"]


def test_the_dask_run_records_its_engine(engine_runs) -> None:
    local, dask, _ = engine_runs
    assert local.manifest["settings"]["engine.kind"] == "local"
    assert dask.manifest["settings"]["engine.kind"] == "dask"


def test_the_local_engine_never_imports_dask(tmp_path: Path) -> None:
    corpus = write_documents(tmp_path / "pairs.jsonl", pair_documents(held_out_pairs()[:60]))
    script = f"""
import json, sys
from pathlib import Path
from tests.conftest import ROOT, make_config
from topics.pipeline import run_pipeline
config = make_config(Path({str(tmp_path)!r}), 'corpus.paths=[{json.dumps(str(corpus))}]',
                     'output.report=false', config=ROOT / 'configs' / 'fast.yaml')
run_pipeline(config)
print(sorted(m for m in sys.modules if m.split('.')[0] in {{'dask', 'distributed'}}))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_missing_extra_is_one_line_naming_it(tmp_path: Path) -> None:
    """Without ``distributed`` importable, ``engine.kind: dask`` fails before any work."""
    script = "import sys; sys.modules['distributed'] = None\nfrom topics.cli import app\napp()\n"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            "run",
            str(ROOT / "configs" / "fast.yaml"),
            "--set",
            "engine.kind=dask",
            "--set",
            f"output.dir={tmp_path / 'reports'}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "'dask' extra" in lines[0] and "Traceback" not in done.stderr
    assert not (tmp_path / "reports").exists()


def test_partitions_cover_every_row_once() -> None:
    assert partition_bounds(0, 10) == []
    assert partition_bounds(25, 10) == [(0, 10), (10, 20), (20, 25)]
    matrix = np.arange(30).reshape(15, 2)
    rows = np.array([14, 0, 3, 7, 9])
    parts = RowPartitions(matrix, rows, partition_bounds(len(rows), 2))
    assert [len(p) for p in parts] == [2, 2, 1]
    np.testing.assert_array_equal(np.vstack(list(parts)), matrix[rows])
    for processes in (1, 2):
        engine = LocalEngine(EngineSection(processes=processes))
        sums = engine.map(np.sum, parts, {"axis": 1})
        assert [s.tolist() for s in sums] == [[57, 1], [13, 29], [37]]


def _pid_and_offset(partition: list[int], *, offset: int) -> tuple[int, list[int]]:
    import os

    if partition == [13]:
        raise InputError("partition 13 is bad")
    return os.getpid(), [value + offset for value in partition]


def test_forked_workers_share_the_work_and_keep_its_order() -> None:
    import os

    engine = LocalEngine(EngineSection(processes=2))
    parts = [[i, i + 1] for i in range(0, 40, 2)]
    results = engine.map(_pid_and_offset, parts, {"offset": 100})
    assert [values for _, values in results] == [[i + 100, i + 101] for i in range(0, 40, 2)]
    workers = {pid for pid, _ in results}
    assert os.getpid() not in workers and len(workers) == 2
    with pytest.raises(InputError, match="partition 13 is bad"):
        engine.map(_pid_and_offset, [[1], [13], [5]], {"offset": 0})
    assert engine.map(_pid_and_offset, [[7]], {"offset": 1})[0][0] == os.getpid()  # one: here


def test_auto_processes_are_the_cpus_this_process_may_use() -> None:
    import os

    assert worker_processes(EngineSection()) == len(os.sched_getaffinity(0))
    assert worker_processes(EngineSection(processes=3)) == 3


@pytest.mark.parametrize("min_df", [1, 2, 3, 50])
@pytest.mark.parametrize("max_df", [0.2, 0.5, 1.0])
def test_partitioned_vocabulary_is_count_vectorizers(min_df: int, max_df: float) -> None:
    """Document frequencies summed over partitions keep CountVectorizer's min_df/max_df rule."""
    rng = np.random.default_rng(min_df)
    words = [f"w{i}" for i in range(40)]
    joined = [" ".join(rng.choice(words, size=rng.integers(0, 12), p=None)) for _ in range(120)]
    section = TopicsSection(min_df=min_df, max_df=max_df)
    expected = _count_vectorizer_vocabulary(joined, section)
    engine = LocalEngine(EngineSection(partition_size=100))  # two partitions
    assert build_vocabulary(joined, section, engine) == expected


def _count_vectorizer_vocabulary(joined: list[str], section: TopicsSection) -> list[str]:
    """The rule as CountVectorizer states it (the implementation before partitions)."""
    from topics.represent.tokens import resolve_min_df

    n = len(joined)
    min_df = min(resolve_min_df(section, n), max(1, n // 2))
    max_df = section.max_df if n * section.max_df >= max(2, min_df) else 1.0
    for floor in (min_df, 1):
        try:
            counter = CountVectorizer(
                analyzer=split_on_spaces, lowercase=False, min_df=floor, max_df=max_df
            )
            counter.fit(joined)
            return sorted(counter.vocabulary_)
        except ValueError:
            max_df = 1.0
    return []


def test_unreachable_scheduler_is_one_line_and_no_report(tmp_path: Path) -> None:
    corpus = write_documents(tmp_path / "pairs.jsonl", pair_documents(held_out_pairs()[:30]))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "topics.cli",
            "run",
            str(ROOT / "configs" / "fast.yaml"),
            "--set",
            f"corpus.paths=[{json.dumps(str(corpus))}]",
            "--set",
            "engine.kind=dask",
            "--set",
            "engine.address=tcp://127.0.0.1:9",  # the discard port: nothing listens
            "--set",
            f"output.dir={tmp_path / 'reports'}",
            "--set",
            "cache.enabled=false",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert errors == [lines[-1]], done.stderr
    assert "'engine.address' parameter must name a reachable Dask scheduler" in errors[0]
    assert "tcp://127.0.0.1:9" in errors[0]
    assert "Traceback" not in done.stderr
    assert not any((tmp_path / "reports").glob("*/manifest.json"))
