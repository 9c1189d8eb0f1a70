"""Write a run folder completely or not at all, and repair what a killed run left behind.

Everything goes into a hidden sibling ``.NAME.tmp-PID-NS``; only when the body finishes is it
swapped into place: ``NAME → .NAME.old-PID-NS``, ``.tmp → NAME``, then the old folder is
renamed ``.NAME.trash-PID-NS`` and deleted. A failed run removes its temporary folder; a
killed one leaves at worst:

* a temporary folder: removed by the next run once its owner is dead;
* ``.old-*`` without ``NAME`` (killed between the two renames): the next run restores it, so
  the previous report comes back byte for byte;
* ``.old-*`` or ``.trash-*`` beside ``NAME``: removed.

Liveness is a ``flock`` on the temporary folder held by its writer for the whole run (the kernel
drops it when the writer dies, even on SIGKILL), so a concurrent run with the same name, however
slow its report, never loses its folder. Swaps and repairs take a lock on the output folder
itself, so a repair never sees another run half-way between its two renames.

Changes to a finished run (``topics assign``) take :func:`run_lock` for their whole read →
write → swap, and a run's swap takes it too, so two changes never start from the same folder
and lose each other's rows.

Two environment variables let tests SIGKILL a run inside the swap window:
``TOPICS_TEST_PAUSE_BEFORE_SWAP`` and ``TOPICS_TEST_PAUSE_BETWEEN_RENAMES`` (seconds to sleep).
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock; the lock is then advisory only in name
    fcntl = None  # type: ignore[assignment]

from topics.atomic import (
    apply_default_modes,
    folder_in_use,
    folder_lock,
    hold_folder_lock,
    make_folder,
)


def _test_pause(point: str) -> None:
    """Sleep ``$TOPICS_TEST_PAUSE_<point>`` seconds (unset: no pause): a hook for kill tests."""
    seconds = os.environ.get(f"TOPICS_TEST_PAUSE_{point}")
    if seconds:
        time.sleep(float(seconds))


def _stamp(path: Path) -> int:
    """The nanosecond stamp at the end of a ``.NAME.kind-PID-NS`` name (0 if unparsable)."""
    try:
        return int(path.name.rsplit("-", 1)[1])
    except (IndexError, ValueError):
        return 0


def _siblings(output_dir: Path, name: str, kind: str) -> list[Path]:
    """``.NAME.<kind>-*`` folders in ``output_dir``, oldest first."""
    pattern = f".{glob.escape(name)}.{kind}-*"
    return sorted(output_dir.glob(pattern), key=_stamp)


def recover_run_folder(output_dir: Path, name: str) -> None:
    """Repair ``output_dir/name`` after a killed run (call with the output folder locked).

    Restores the previous folder when a run died between its two renames, then deletes the
    leftovers of dead runs. Temporary folders of live runs are left alone.
    """
    final = output_dir / name
    previous = _siblings(output_dir, name, "old")
    if previous and not final.exists():
        # Only the newest .old can be complete: an older one was already being replaced.
        os.replace(previous.pop(), final)
    for leftover in previous + _siblings(output_dir, name, "trash"):
        shutil.rmtree(leftover, ignore_errors=True)
    for temp in _siblings(output_dir, name, "tmp"):
        if not folder_in_use(temp):
            shutil.rmtree(temp, ignore_errors=True)
    _remove_stale_lock(output_dir / f".{name}.lock")


def _remove_stale_lock(path: Path) -> None:
    """Remove a run lock file a killed holder left (its flock died with it, the file did not).

    Locked first, then unlinked while held, as a holder does: a live holder keeps it.
    """
    if fcntl is None or not path.exists():
        return
    try:
        descriptor = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(descriptor)  # held by a live process
        return
    if _is_current(descriptor, path):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
    os.close(descriptor)


def _is_current(descriptor: int, path: Path) -> bool:
    """Whether the locked ``descriptor`` is still the file at ``path`` (a holder removes the
    lock file before releasing it, so a lock on a removed file guards nothing)."""
    try:
        return os.fstat(descriptor).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        return False


@contextlib.contextmanager
def run_lock(output_dir: Path, name: str, *, wait: bool = True) -> Iterator[None]:
    """Hold the lock of run folder ``output_dir/name`` (a ``.NAME.lock`` file beside it).

    The lock file is removed when the lock is released: a holder unlinks it before closing,
    and a waiter that then gets the lock on the removed file opens the new one and waits again
    (so no two holders ever hold locks on different files of the same name).

    Raises
    ------
    InputError
        With ``wait=False``, when another process holds the lock.
    """
    from topics.errors import InputError

    path = Path(output_dir) / f".{name}.lock"
    while True:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if fcntl is not None:
                fcntl.flock(descriptor, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except OSError as error:
            os.close(descriptor)
            if error.errno in (errno.EAGAIN, errno.EACCES):
                raise InputError(
                    f"Run folder '{Path(output_dir) / name}' is being changed by another process "
                    "(topics assign or topics run); try again when it has finished, or wait for "
                    "it (leave out --no-wait)."
                ) from None
            raise
        if _is_current(descriptor, path):
            break
        os.close(descriptor)  # the holder before us removed this file: lock the new one
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        os.close(descriptor)


@contextlib.contextmanager
def atomic_run_folder(
    output_dir: Path, name: str, key: str = "output.dir", *, locked: bool = False
) -> Iterator[Path]:
    """Yield a temporary folder; on success it becomes ``output_dir/name``.

    Parameters
    ----------
    output_dir:
        Parent of run folders (created if needed).
    name:
        Run name; the final folder is ``output_dir/name``.
    key:
        Config key of ``output_dir``, named in the error when it cannot be created.
    locked:
        The caller already holds :func:`run_lock` (an append); otherwise the swap takes it,
        so a run never replaces a folder in the middle of an append.
    """
    output_dir = make_folder(Path(output_dir), key)
    final = output_dir / name
    tag = f"{os.getpid()}-{time.time_ns()}"
    temp = output_dir / f".{name}.tmp-{tag}"
    with folder_lock(output_dir):
        recover_run_folder(output_dir, name)
        # Created and locked under the output lock: a repair never sees it unlocked.
        temp.mkdir()
        owner = hold_folder_lock(temp)
    try:
        try:
            yield temp
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise
        # mkstemp (atomic writers) and safetensors create 0600 files: a report must be
        # readable wherever it is copied, so every file gets the umask's mode.
        apply_default_modes(temp)
        _test_pause("BEFORE_SWAP")
        previous = output_dir / f".{name}.old-{tag}"
        trash = output_dir / f".{name}.trash-{tag}"
        swap_lock = contextlib.nullcontext() if locked else run_lock(output_dir, name)
        with swap_lock, folder_lock(output_dir):
            if final.exists():
                os.replace(final, previous)
            try:
                _test_pause("BETWEEN_RENAMES")
                os.replace(temp, final)
            except BaseException:  # Ctrl-C or a failed rename: put the previous folder back
                if previous.exists() and not final.exists():
                    os.replace(previous, final)
                shutil.rmtree(temp, ignore_errors=True)
                raise
            if previous.exists():
                # Renamed before deletion: a kill while deleting never leaves a partial .old.
                os.replace(previous, trash)
        shutil.rmtree(trash, ignore_errors=True)
    finally:
        os.close(owner)
