"""Synthetic corpora of any size from labelled abstracts, without any download.

Each synthetic abstract is the sentences of one real abstract plus one or two sentences of
other abstracts with the same label, shuffled: the texts are distinct and topical, and their
label (the source group) says which topic each belongs to, so NMI against it tells whether
quality holds as the corpus grows. Used by ``bench/scale.py`` (from every bench corpus) and the
quality-at-N test (``tests/assign/test_quality_at_n.py``, from a slice in ``tests/data``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

SENTENCE = re.compile(r"(?<=[。！？.!?])\s*")

#: ``(group, lang, sentences)`` of one source abstract.
Source = tuple[str, str, list[str]]


def sentences(text: str) -> list[str]:
    """``text`` split after sentence-ending punctuation (Chinese or Latin); fragments dropped."""
    return [part.strip() for part in SENTENCE.split(text) if len(part.strip()) > 8]


def recombine(
    sources: Sequence[Source], size: int, seed: int, path: Path, prefix: str = "s"
) -> Path:
    """Write ``size`` synthetic abstracts (about 60% Chinese when both languages are there) as
    JSON Lines with ``id``, ``abstract`` and ``label`` (the source's group)."""
    rng = np.random.default_rng(seed)
    groups: dict[str, list[int]] = {}
    for index, (group, _, _) in enumerate(sources):
        groups.setdefault(group, []).append(index)
    langs = np.array([lang for _, lang, _ in sources])
    zh, en = np.flatnonzero(langs == "zh"), np.flatnonzero(langs == "en")
    with path.open("w", encoding="utf-8") as out:
        for number in range(size):
            pool = zh if rng.random() < 0.6 else en
            base = int(rng.choice(pool))
            group, lang, parts = sources[base]
            extra = [sources[int(rng.choice(groups[group]))][2] for _ in range(rng.integers(1, 3))]
            picked = list(parts) + [s[int(rng.integers(len(s)))] for s in extra]
            rng.shuffle(picked)
            joiner = "" if lang == "zh" else " "
            record = {"id": f"{prefix}{number}", "abstract": joiner.join(picked), "label": group}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path
