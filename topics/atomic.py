"""Atomic file writes, umask-respecting modes and advisory locks: one copy for every module.

A file is written to a temporary sibling and moved into place with ``os.replace``, so a reader
(or the next run after a kill) sees the old file, the new file, or none, never half a file.
``tempfile.mkstemp`` creates its file with mode 0600; the final file gets ``0o666 & ~umask``
like any file ``open()`` creates, so a report copied to a web server stays readable.

Temporary names start with ``.`` and end in ``.tmp``; :func:`remove_stale_temps` clears those
that a killed process left behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np

from topics.errors import InputError

try:  # POSIX only; on Windows locks are no-ops and liveness falls back to age
    import fcntl
except ImportError:  # pragma: no cover - exercised on Windows only
    fcntl = None  # type: ignore[assignment]

TEMP_SUFFIX = ".tmp"
# A temp file older than this was left by a killed writer (a shard takes seconds to write).
STALE_TEMP_SECONDS = 3600


def current_umask() -> int:
    """The process umask, read without changing it where the OS allows (Linux ``/proc``)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)  # elsewhere the only portable way to read it is to set it
    os.umask(mask)
    return mask


def file_mode() -> int:
    """Mode that ``open()`` would give a new file: ``0o666 & ~umask``."""
    return 0o666 & ~current_umask()


def folder_mode() -> int:
    """Mode that ``mkdir()`` would give a new folder: ``0o777 & ~umask``."""
    return 0o777 & ~current_umask()


def apply_default_modes(root: Path) -> None:
    """Give ``root`` and everything under it the umask's modes.

    Libraries that write through ``mkstemp`` or their own code (safetensors writes 0600) would
    otherwise leave files in a run folder that nobody else can read.
    """
    files, folders = file_mode(), folder_mode()
    os.chmod(root, folders)
    for base, subfolders, names in os.walk(root):
        for name in subfolders:
            os.chmod(os.path.join(base, name), folders)
        for name in names:
            path = os.path.join(base, name)
            if not os.path.islink(path):
                os.chmod(path, files)


def make_folder(path: Path, key: str) -> Path:
    """Create ``path`` (and parents) or raise a one-line InputError naming the config key.

    Parameters
    ----------
    path:
        The folder to create; an existing folder is fine.
    key:
        The config key the folder comes from (``output.dir``, ``cache.dir``).
    """
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise InputError(
            f"The '{key}' parameter must be a folder that can be created. "
            f"Got '{path}' instead ({reason})."
        ) from None
    return path


@contextlib.contextmanager
def atomic_open(path: Path, key: str = "cache.dir") -> Iterator[IO[bytes]]:
    """Yield a binary stream whose content replaces ``path`` only if the block succeeds.

    Parameters
    ----------
    path:
        Final file; its folder is created if needed.
    key:
        Config key named in the error when that folder cannot be created.
    """
    path = Path(path)
    make_folder(path.parent, key)
    handle, temp = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=TEMP_SUFFIX
    )
    try:
        os.fchmod(handle, file_mode())
        with os.fdopen(handle, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())  # the data is on disk before the name points to it
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path, data: bytes, key: str = "cache.dir") -> None:
    """Replace ``path`` with ``data`` atomically (see :func:`atomic_open`)."""
    with atomic_open(path, key) as stream:
        stream.write(data)


def atomic_write_text(path: Path, text: str, key: str = "cache.dir") -> None:
    """Replace ``path`` with ``text`` encoded as UTF-8, atomically."""
    atomic_write_bytes(path, text.encode("utf-8"), key)


def atomic_save_npz(path: Path, key: str = "cache.dir", **arrays: np.ndarray) -> None:
    """Write an uncompressed ``.npz`` of ``arrays`` atomically."""
    with atomic_open(path, key) as stream:
        np.savez(stream, **arrays)


def atomic_save_npy(path: Path, array: np.ndarray, key: str = "cache.dir") -> None:
    """Write a ``.npy`` atomically (pickles refused)."""
    with atomic_open(path, key) as stream:
        np.save(stream, array, allow_pickle=False)


def remove_stale_temps(folder: Path, max_age: float = STALE_TEMP_SECONDS) -> int:
    """Delete temp files of killed writers in ``folder`` (older than ``max_age`` seconds).

    Age, not the writer's pid, decides: a cache folder may be shared by several machines.
    Returns how many were removed.
    """
    removed = 0
    now = time.time()
    with contextlib.suppress(OSError):
        for temp in Path(folder).glob(f".*{TEMP_SUFFIX}"):
            with contextlib.suppress(OSError):
                if now - temp.stat().st_mtime > max_age:
                    temp.unlink()
                    removed += 1
    return removed


@contextlib.contextmanager
def file_lock(path: Path, key: str = "cache.dir") -> Iterator[None]:
    """Hold an exclusive advisory lock on ``path`` (created if missing) for the block.

    ``flock`` locks are released by the kernel when their holder dies, even on SIGKILL, so a
    killed process never leaves a lock that blocks the next run.
    """
    make_folder(Path(path).parent, key)
    with open(path, "a+b") as stream:
        if fcntl is not None:
            fcntl.flock(stream.fileno(), fcntl.LOCK_EX)
        yield


@contextlib.contextmanager
def folder_lock(folder: Path, *, blocking: bool = True) -> Iterator[bool]:
    """Lock a folder itself (no lock file left behind); yields whether the lock was taken.

    With ``blocking=False`` the block runs at once and sees ``False`` when another live
    process holds the lock.
    """
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        taken = True
        if fcntl is not None:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError:
                taken = False
        yield taken
    finally:
        os.close(descriptor)


def hold_folder_lock(folder: Path) -> int:
    """Lock ``folder`` until the returned descriptor is closed (``os.close``)."""
    descriptor = os.open(folder, os.O_RDONLY)
    if fcntl is not None:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
    return descriptor


def folder_in_use(folder: Path, max_age: float = STALE_TEMP_SECONDS) -> bool:
    """True while the process that locked ``folder`` (:func:`hold_folder_lock`) is alive.

    Without ``flock`` (Windows) a folder counts as in use for ``max_age`` seconds.
    """
    if fcntl is None:  # pragma: no cover - Windows
        try:
            return time.time() - folder.stat().st_mtime < max_age
        except OSError:
            return False
    try:
        with folder_lock(folder, blocking=False) as taken:
            return not taken
    except OSError:  # vanished meanwhile: nobody needs it
        return False
