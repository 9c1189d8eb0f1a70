"""Reading the corpus: input formats, cleaning, de-duplication and language tags.

``from topics.corpus import load_corpus`` is the entry point. Importing this package imports
nothing (the names below load on first use), so a module that needs only the run's text store
(``topics.corpus.texts``, which ``topics.types`` uses) does not pull in the readers, the schema
and the registries; the Parquet reader imports pyarrow only when it runs.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "RawRecord": "topics.corpus.readers",
    "detect_language": "topics.corpus.language",
    "expand_paths": "topics.corpus.load",
    "format_for_path": "topics.corpus.readers",
    "load_corpus": "topics.corpus.load",
    "normalise_text": "topics.corpus.clean",
    "unique_ids": "topics.corpus.load",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'topics.corpus' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
