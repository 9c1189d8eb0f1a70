"""Counts a run folder states about its documents, computed in one place for every writer.

A run (:func:`topics.represent.table.topic_table`, :func:`topics.manifest.build_manifest`)
and an append (``topics assign``, :mod:`topics.run_folder.append`) count topic sizes, language
shares and languages with these functions, so the two can never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: Languages the manifest always counts (a corpus without one counts 0).
COUNTED_LANGUAGES = ("zh", "en", "other")


def topic_sizes(topics: Sequence[int] | np.ndarray, langs: Sequence[str]) -> pd.DataFrame:
    """Per topic (ascending id): ``size`` and the share of its documents in Chinese and
    English (``share_zh``, ``share_en``, rounded to 4 places)."""
    langs = np.asarray(langs, dtype=object)
    frame = pd.DataFrame({"topic": np.asarray(topics), "zh": langs == "zh", "en": langs == "en"})
    stats = frame.groupby("topic", sort=True).agg(
        size=("zh", "size"), share_zh=("zh", "mean"), share_en=("en", "mean")
    )
    # Python's round (exact on the double's value), not numpy's, which scales first.
    for column in ("share_zh", "share_en"):
        stats[column] = [round(float(share), 4) for share in stats[column]]
    return stats


def language_counts(langs: Sequence[str]) -> dict[str, int]:
    """Documents per language (``zh``, ``en``, ``other``)."""
    values, counts = np.unique(np.asarray(langs, dtype=str), return_counts=True)
    found = dict(zip(values.tolist(), counts.tolist(), strict=True))
    return {lang: int(found.get(lang, 0)) for lang in COUNTED_LANGUAGES}


def topic_languages(
    topics: Sequence[int] | np.ndarray, langs: Sequence[str]
) -> dict[str, dict[str, int]]:
    """``{topic: {lang: documents}}`` (topics ascending, languages by name)."""
    frame = pd.DataFrame({"topic": np.asarray(topics), "lang": np.asarray(langs, dtype=str)})
    counts = frame.groupby(["topic", "lang"], sort=True).size()
    found: dict[str, dict[str, int]] = {}
    for (topic, lang), count in counts.items():
        found.setdefault(str(int(topic)), {})[str(lang)] = int(count)
    return found
