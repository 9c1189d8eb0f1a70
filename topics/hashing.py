"""Stable digests for cache keys and document ids; imports nothing of the package.

A cache key is derived from what determines the cached value (texts, settings, package
versions, source files), never from a hand-bumped version string.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def text_digest(text: str) -> bytes:
    """Stable 128-bit digest of a document's text (16 bytes; :func:`text_hash` in hex)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def text_hash(text: str) -> str:
    """Stable 128-bit hex digest of a document's text."""
    return text_digest(text).hex()


def _jsonable(value: object) -> object:
    """Packed sequences (a corpus's hashes or sources) digest as the lists they stand for."""
    from collections.abc import Sequence

    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return list(value)
    return str(value)  # bytes too, as before: keys of existing caches stay valid


def digest(*parts: object) -> str:
    """Stable short digest of JSON-able parts (order matters)."""
    payload = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=_jsonable)
    return hashlib.blake2b(payload.encode("utf-8"), digest_size=12).hexdigest()


def array_digest(array: Any) -> str:
    """Stable short digest of a numpy array's dtype, shape and bytes."""
    import numpy as np

    values = np.ascontiguousarray(array)
    header = f"{values.dtype.str}{values.shape}".encode()
    return hashlib.blake2b(header + values.tobytes(), digest_size=12).hexdigest()


def package_version(distribution: str) -> str:
    """Installed version of ``distribution`` or ``"absent"`` (cheap: no import)."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


def files_digest(paths: Iterable[Path]) -> str:
    """Digest of the names and bytes of ``paths`` (a missing file counts as empty)."""
    hasher = hashlib.blake2b(digest_size=12)
    for path in sorted(Path(p) for p in paths):
        hasher.update(path.name.encode("utf-8") + b"\0")
        try:
            hasher.update(path.read_bytes())
        except OSError:
            hasher.update(b"<missing>")
        hasher.update(b"\0")
    return hasher.hexdigest()
