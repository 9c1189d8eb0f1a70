"""Small helpers every layer may use; this module imports nothing from ``topics``.

- :data:`OUTLIER`: the topic id of documents no topic holds.
- :func:`did_you_mean`: the hint every "unknown name" error ends with.
- :data:`MINORITY_SHARE` and :func:`is_one_language`: when a corpus counts as one language
  (the lexical block) and when as two (labels in both languages) — one rule, two sides.
- :func:`quiet_logger`: silence a chatty library's logger for one block.
- :func:`shown_name`: a topic's name as shown (its ``name``, else its ``label``).
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager

#: Topic id of the documents no topic holds (HDBSCAN's noise label).
OUTLIER = -1

#: A language with at least this share of the documents is one of the corpus's languages: a
#: corpus is one language when its largest holds at least ``1 - MINORITY_SHARE`` of the
#: documents (``embedding.lexical: auto``), and is labelled in both languages when Chinese and
#: English each hold at least this share (``topics.label_language: auto``).
MINORITY_SHARE = 0.10


def is_one_language(shares: Mapping[str, float]) -> bool:
    """Whether one language holds at least ``1 - MINORITY_SHARE`` of the documents."""
    return bool(shares) and max(shares.values()) >= 1 - MINORITY_SHARE


def is_both_languages(shares: Mapping[str, float]) -> bool:
    """Whether Chinese and English each hold at least :data:`MINORITY_SHARE`."""
    return shares.get("zh", 0.0) >= MINORITY_SHARE and shares.get("en", 0.0) >= MINORITY_SHARE


def did_you_mean(name: object, known: Iterable[object]) -> str:
    """`` Did you mean 'x'?`` for the closest of ``known`` to ``name`` (a different case
    counts as closest), or ``""``."""
    names = [str(key) for key in known]
    wanted = str(name)
    lowered = {key.lower(): key for key in names}
    close = [lowered[wanted.lower()]] if wanted.lower() in lowered else []
    close = close or difflib.get_close_matches(wanted, names, n=1)
    return f" Did you mean '{close[0]}'?" if close else ""


class _AtLeast(logging.Filter):
    """Let through only records at ``level`` or above."""

    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self.level


@contextmanager
def quiet_logger(name: str, level: int = logging.ERROR) -> Iterator[None]:
    """Drop one logger's records below ``level`` during a block; keep its level as it was.

    BERTopic logs expected steps as warnings (custom assignments after outlier reduction) and
    sets its logger's level for the whole process when it is imported and when a model is
    built. A filter (which BERTopic does not touch) silences our calls only, and the level the
    logger had before the block is put back afterwards.
    """
    target = logging.getLogger(name)
    previous = target.level
    below = _AtLeast(level)
    target.addFilter(below)
    try:
        yield
    finally:
        target.removeFilter(below)
        target.setLevel(previous)


def shown_name(record: Mapping[str, object]) -> str:
    """What a topic or group is called on the page and in the digest: its ``name``, else its
    ``label`` (run folders written before names existed), else ``""``."""
    for key in ("name", "label"):
        value = record.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return ""
