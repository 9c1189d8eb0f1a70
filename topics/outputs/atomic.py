"""Write a run folder completely or not at all.

Everything goes into a hidden temporary sibling folder; only when the body finishes is it
swapped into place with renames. A failed or killed run leaves the previous report untouched
(at worst a stale ``.tmp-*`` folder, which the next run removes).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path


def _remove_stale(parent: Path, name: str) -> None:
    """Delete temporary folders left by killed runs of this run name (older than a minute)."""
    now = time.time()
    for stale in parent.glob(f".{name}.tmp-*"):
        with contextlib.suppress(OSError):
            if now - stale.stat().st_mtime > 60:
                shutil.rmtree(stale, ignore_errors=True)


@contextlib.contextmanager
def atomic_run_folder(output_dir: Path, name: str) -> Iterator[Path]:
    """Yield a temporary folder; on success it becomes ``output_dir/name``.

    Parameters
    ----------
    output_dir:
        Parent of run folders (created if needed).
    name:
        Run name; the final folder is ``output_dir/name``.
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale(output_dir, name)
    final = output_dir / name
    temp = output_dir / f".{name}.tmp-{os.getpid()}-{time.time_ns()}"
    temp.mkdir()
    try:
        yield temp
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    previous = output_dir / f".{name}.old-{os.getpid()}-{time.time_ns()}"
    if final.exists():
        os.replace(final, previous)
    os.replace(temp, final)
    shutil.rmtree(previous, ignore_errors=True)
