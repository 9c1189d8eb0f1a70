"""SIGKILL a real ``topics run`` where it hurts, then re-run: nothing lost, nothing different.

Three kill points: while embedding (some shards written), after the report is written but
before the swap into place, and between the swap's two renames. The last two are held open by
the ``TOPICS_TEST_PAUSE_*`` hooks of :mod:`topics.run_folder.swap`.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import ROOT, make_config
from topics.pipeline import run_pipeline
from topics.run_folder import recover_run_folder

# Real runs in subprocesses or on real corpora: the whole suite has them, `-m "not slow"` not.
pytestmark = pytest.mark.slow

POLL_SECONDS = 0.05
PATIENCE_SECONDS = 300


def start_run(output: Path, cache: Path, *sets: str, **env: str) -> subprocess.Popen:
    """``topics run configs/default.yaml`` in its own process group."""
    command = [sys.executable, "-m", "topics", "run", str(ROOT / "configs" / "default.yaml")]
    for setting in (f"output.dir={output}", f"cache.dir={cache}", *sets):
        command += ["--set", setting]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=os.environ | env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def kill_when(process: subprocess.Popen, condition: Callable[[], bool]) -> None:
    """SIGKILL ``process`` (and its children) as soon as ``condition()`` holds."""
    deadline = time.monotonic() + PATIENCE_SECONDS
    while not condition():
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            pytest.fail(f"the run ended (exit {process.returncode}) before the kill:\n{output}")
        if time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail("the kill point was never reached")
        time.sleep(POLL_SECONDS)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def assignments(run_dir: Path) -> dict[str, int]:
    documents = pd.read_parquet(run_dir / "documents.parquet")
    return dict(zip(documents["id"], documents["topic"].astype(int), strict=True))


@pytest.fixture
def earlier_report(sample_run, tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    """An output folder holding a finished report (a copy of the session's sample run)."""
    reports = tmp_path / "reports"
    shutil.copytree(sample_run.run_dir, reports / sample_run.run_dir.name)
    return reports, snapshot(reports / sample_run.run_dir.name)


def test_kill_while_embedding_then_resume(sample_run, earlier_report, tmp_path: Path) -> None:
    reports, before = earlier_report
    cache = tmp_path / "cache"
    batch = 4
    process = start_run(reports, cache, f"embedding.batch_size={batch}")

    def shards() -> list[Path]:
        return list((cache / "embeddings").glob("*/shard-*.npz"))

    kill_when(process, lambda: len(shards()) >= 2)
    written = len(shards())
    assert written < math.ceil(len(sample_run.corpus) / batch), "killed after embedding"
    for shard in shards():
        with np.load(shard) as data:
            assert len(data["keys"]) == len(data["vectors"]) == batch
    assert snapshot(reports / "default") == before

    result = run_pipeline(make_config(tmp_path, f"embedding.batch_size={batch}"))
    assert result.manifest["cache"]["embeddings"] == "miss"  # resumed: only the rest embedded
    assert sorted(p.name for p in reports.iterdir()) == ["default"]
    # USE vectors move by ~1e-7 with the batch's composition and UMAP amplifies that on 54
    # abstracts, so the uninterrupted reference uses the same batch size, from a cold cache.
    uninterrupted = run_pipeline(
        make_config(tmp_path / "reference", f"embedding.batch_size={batch}", "output.report=false")
    )
    assert uninterrupted.manifest["cache"]["embeddings"] == "miss"
    assert assignments(result.run_dir) == assignments(uninterrupted.run_dir)


def test_kill_before_and_during_the_swap(
    sample_run, earlier_report, session_dir: Path, tmp_path: Path
) -> None:
    reports, before = earlier_report
    cache = session_dir / "cache"  # warm: the runs get to the report quickly

    def finished_report_waiting() -> bool:
        for manifest in reports.glob(".default.tmp-*/manifest.json"):
            try:
                return json.loads(manifest.read_text("utf-8"))["run"]["finished"] is not None
            except (OSError, ValueError, KeyError):
                return False  # being written
        return False

    # 1. The new report is complete in its temporary folder; killed before the swap.
    process = start_run(reports, cache, TOPICS_TEST_PAUSE_BEFORE_SWAP="600")
    kill_when(process, finished_report_waiting)
    (temp,) = reports.glob(".default.tmp-*")
    assert (temp / "index.html").is_file()
    assert snapshot(reports / "default") == before

    # 2. Killed between the renames: the finished report is out of place, the new one not in.
    process = start_run(reports, cache, TOPICS_TEST_PAUSE_BETWEEN_RENAMES="600")
    kill_when(process, lambda: not (reports / "default").exists())
    (old,) = reports.glob(".default.old-*")
    assert snapshot(old) == before

    # 3. What the next run does first: the earlier report comes back, byte for byte.
    recover_run_folder(reports, "default")
    assert snapshot(reports / "default") == before
    assert sorted(p.name for p in reports.iterdir()) == ["default"]

    # 4. The re-run gives the uninterrupted run's topics, in a folder others can read.
    previous = os.umask(0o022)
    try:
        result = run_pipeline(make_config(session_dir, f"output.dir={reports}"))
    finally:
        os.umask(previous)
    assert assignments(result.run_dir) == assignments(sample_run.run_dir)
    assert sorted(p.name for p in reports.iterdir()) == ["default"]
    modes = {
        str(p.relative_to(result.run_dir)): stat.S_IMODE(p.stat().st_mode)
        for p in [result.run_dir, *result.run_dir.rglob("*")]
    }
    assert any(name.endswith(".safetensors") for name in modes) and "index.html" in modes
    expected = {name: 0o755 if (result.run_dir / name).is_dir() else 0o644 for name in modes}
    assert modes == expected
