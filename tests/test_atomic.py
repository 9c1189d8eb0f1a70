"""Atomic writes, file modes, run-folder swaps and their repair after a kill."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT
from topics.atomic import (
    atomic_save_npy,
    atomic_save_npz,
    atomic_write_bytes,
    atomic_write_text,
    make_folder,
)
from topics.errors import InputError
from topics.run_folder import atomic_run_folder, recover_run_folder

TWO_HOURS_AGO = time.time() - 7200


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def modes_under(root: Path) -> dict[str, int]:
    found = {".": mode(root)}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = mode(path)
    return found


def test_atomic_writers_give_files_the_umask_mode(tmp_path: Path) -> None:
    previous = os.umask(0o027)
    try:
        atomic_write_bytes(tmp_path / "a.bin", b"\x00\x01")
        atomic_write_text(tmp_path / "b.txt", "模型")
        atomic_save_npz(tmp_path / "c.npz", array=np.arange(3))
        atomic_save_npy(tmp_path / "sub" / "d.npy", np.ones(2))
    finally:
        os.umask(previous)
    assert (tmp_path / "a.bin").read_bytes() == b"\x00\x01"
    assert (tmp_path / "b.txt").read_text("utf-8") == "模型"
    np.testing.assert_array_equal(np.load(tmp_path / "sub" / "d.npy"), np.ones(2))
    assert {name: mode(tmp_path / name) for name in ("a.bin", "b.txt", "c.npz")} == {
        "a.bin": 0o640,
        "b.txt": 0o640,
        "c.npz": 0o640,
    }
    assert mode(tmp_path / "sub" / "d.npy") == 0o640
    assert sorted(p.name for p in tmp_path.rglob("*")) == [
        "a.bin",
        "b.txt",
        "c.npz",
        "d.npy",
        "sub",
    ]


def test_failed_write_keeps_the_old_file_and_no_temp(tmp_path: Path) -> None:
    from topics.atomic import atomic_open

    atomic_write_text(tmp_path / "f.txt", "old")
    with pytest.raises(RuntimeError), atomic_open(tmp_path / "f.txt") as stream:
        stream.write(b"half")
        raise RuntimeError("killed")
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]
    assert (tmp_path / "f.txt").read_text("utf-8") == "old"


def test_run_folder_files_are_readable_by_others(tmp_path: Path, umask_022: None) -> None:
    """Defect 7: mkstemp and safetensors create 0600 files; the run folder follows the umask."""
    import safetensors.numpy

    from topics.run_folder.write import write_manifest

    with atomic_run_folder(tmp_path, "run") as folder:
        atomic_write_text(folder / "index.html", "<html></html>")
        (folder / "model").mkdir()
        safetensors.numpy.save_file(
            {"w": np.zeros(3, dtype=np.float32)}, str(folder / "model" / "w.safetensors")
        )
        write_manifest({"run": {}}, folder / "manifest.json")
    found = modes_under(tmp_path / "run")
    assert found == {
        ".": 0o755,
        "index.html": 0o644,
        "manifest.json": 0o644,
        "digest.md": 0o644,
        "model": 0o755,
        "model/w.safetensors": 0o644,
    }


def test_uncreatable_output_dir_is_a_one_line_input_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", "utf-8")
    with pytest.raises(InputError) as error, atomic_run_folder(blocker / "reports", "run"):
        pass
    message = str(error.value)
    assert "'output.dir'" in message and str(blocker / "reports") in message
    assert "\n" not in message
    with pytest.raises(InputError, match=r"'cache\.dir'"):
        make_folder(blocker / "cache", "cache.dir")
    with pytest.raises(InputError, match=r"'cache\.dir'"):
        atomic_write_text(blocker / "cache" / "x.txt", "x")


def test_kill_between_the_renames_is_repaired_by_the_next_run(tmp_path: Path) -> None:
    """Defect 9a: ``run`` renamed to ``.run.old-*``, the new folder never renamed in."""
    with atomic_run_folder(tmp_path, "run") as folder:
        (folder / "topics.csv").write_text("previous", "utf-8")
        (folder / "model").mkdir()
        (folder / "model" / "w.bin").write_bytes(b"\x01\x02")
    before = {
        p.relative_to(tmp_path / "run"): p.read_bytes() for p in (tmp_path / "run").rglob("*.*")
    }
    # The on-disk state a SIGKILL between the two renames leaves (pid 1 never ran topics).
    os.replace(tmp_path / "run", tmp_path / ".run.old-1-100")
    (tmp_path / ".run.tmp-1-100").mkdir()
    (tmp_path / ".run.tmp-1-100" / "topics.csv").write_text("new, never swapped in", "utf-8")
    (tmp_path / ".run.trash-1-50").mkdir()  # a deletion killed half-way, earlier
    # The next run fails: the previous report must still come back, byte for byte.
    with pytest.raises(RuntimeError), atomic_run_folder(tmp_path, "run"):
        raise RuntimeError("this run fails too")
    after = {
        p.relative_to(tmp_path / "run"): p.read_bytes() for p in (tmp_path / "run").rglob("*.*")
    }
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_newest_old_folder_wins_and_stale_ones_go(tmp_path: Path) -> None:
    for stamp, text in ((100, "older"), (200, "newest")):
        (tmp_path / f".run.old-7-{stamp}").mkdir()
        (tmp_path / f".run.old-7-{stamp}" / "topics.csv").write_text(text, "utf-8")
    recover_run_folder(tmp_path, "run")
    assert (tmp_path / "run" / "topics.csv").read_text("utf-8") == "newest"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    # With the final folder in place, a leftover .old is garbage, not a candidate.
    (tmp_path / ".run.old-7-300").mkdir()
    recover_run_folder(tmp_path, "run")
    assert (tmp_path / "run" / "topics.csv").read_text("utf-8") == "newest"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


WRITER = """
import sys, time
from pathlib import Path
from topics.run_folder import atomic_run_folder

with atomic_run_folder(Path(sys.argv[1]), "run") as folder:
    (folder / "topics.csv").write_text("slow run", "utf-8")
    print("writing", flush=True)
    sys.stdin.readline()  # the test says when this slow report is done
"""


def test_concurrent_run_with_the_same_name_keeps_its_temp_folder(tmp_path: Path) -> None:
    """Defect 9b: a slow concurrent run's temp folder survives another run's clean-up."""
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
        (temp,) = tmp_path.glob(".run.tmp-*")
        os.utime(temp, (TWO_HOURS_AGO, TWO_HOURS_AGO))  # "older than a minute"
        with atomic_run_folder(tmp_path, "run") as folder:
            (folder / "topics.csv").write_text("fast run", "utf-8")
        assert temp.is_dir() and (temp / "topics.csv").is_file()
        assert (tmp_path / "run" / "topics.csv").read_text("utf-8") == "fast run"
        assert writer.stdin is not None
        writer.stdin.write("done\n")
        writer.stdin.close()
        assert writer.wait(timeout=60) == 0
    finally:
        if writer.poll() is None:
            writer.kill()
    # The slow run finished last, so its folder is the report; nothing else is left.
    assert (tmp_path / "run" / "topics.csv").read_text("utf-8") == "slow run"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_temp_folder_of_a_dead_run_is_removed_at_once(tmp_path: Path) -> None:
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
    writer.kill()
    writer.wait(timeout=30)
    assert len(list(tmp_path.glob(".run.tmp-*"))) == 1
    with atomic_run_folder(tmp_path, "run") as folder:
        (folder / "topics.csv").write_text("next", "utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_interrupt_between_the_renames_puts_the_previous_folder_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from topics.run_folder import swap as atomic

    with atomic_run_folder(tmp_path, "run") as folder:
        (folder / "topics.csv").write_text("previous", "utf-8")

    def interrupt(point: str) -> None:
        if point == "BETWEEN_RENAMES":
            raise KeyboardInterrupt

    monkeypatch.setattr(atomic, "_test_pause", interrupt)
    with pytest.raises(KeyboardInterrupt), atomic_run_folder(tmp_path, "run") as folder:
        (folder / "topics.csv").write_text("new", "utf-8")
    assert (tmp_path / "run" / "topics.csv").read_text("utf-8") == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
