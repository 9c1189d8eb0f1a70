"""Run diagnostics: findings about a finished run that a user should read, summarised once.

A finding is reported as ONE line (console and dashboard header) plus structured detail for
the manifest and the dashboard's topic panel: a 100k-document run once printed 108 "topic N may
be split by language" lines, which buried everything else.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from topics.cluster.hdbscan_stage import auto_min_cluster_size as auto_size
from topics.types import Corpus, Topics

LANGUAGE_NAMES = {"zh": "Chinese", "en": "English"}

SPLIT_SHARE = 0.95
"""A topic whose documents are at least this share one language is "one language"."""

SPLIT_MIN_SIZE = 5
"""Smaller topics are not judged: one language among 3 documents says little."""


@dataclass(frozen=True)
class LanguageSplit:
    """Topics that are (almost) one language in a corpus that is not.

    Attributes
    ----------
    topics:
        One entry per such topic: ``{"topic", "label", "size", "lang", "share"}``, largest
        first (``share`` of the topic's documents in ``lang``).
    topics_total, topics_judged:
        Non-outlier topics, and those with at least :data:`SPLIT_MIN_SIZE` documents.
    documents:
        Documents in the listed topics, and ``document_share`` their share of the corpus.
    corpus_shares:
        ``{"zh": …, "en": …}``: each language's share of the corpus.
    summary:
        The one-line warning, ``None`` when no topic is listed.
    """

    topics: list[dict[str, Any]] = field(default_factory=list)
    topics_total: int = 0
    topics_judged: int = 0
    documents: int = 0
    document_share: float = 0.0
    corpus_shares: dict[str, float] = field(default_factory=dict)
    summary: str | None = None

    def to_manifest(self) -> dict[str, Any]:
        """The detail the manifest keeps (``manifest["diagnostics"]["language_split"]``)."""
        return {
            "threshold": SPLIT_SHARE,
            "min_size": SPLIT_MIN_SIZE,
            "corpus_shares": self.corpus_shares,
            "topics_total": self.topics_total,
            "topics_judged": self.topics_judged,
            "documents": self.documents,
            "document_share": self.document_share,
            "topics": self.topics,
        }


def language_split(corpus: Corpus, topics: Topics, cross_lingual: bool) -> LanguageSplit:
    """Find topics that are one language in a mixed corpus, and say what it likely means.

    Parameters
    ----------
    corpus:
        The run's documents, rows aligned with ``topics.assignments``.
    topics:
        The run's topics (``table`` with ``topic, size, label``).
    cross_lingual:
        Whether the run's embedding keeps a paper and its translation together (capability
        ``keeps_translations``: ``use``, ``distilled``). The ``static`` table, TF-IDF blocks and
        ``combined`` with one split mixed corpora by language (pairs in one topic 0.05 / 0.003 /
        0.017 measured), so this decides the likely cause and the advice in the summary.

    Returns
    -------
    LanguageSplit
        Empty (no summary) for a corpus that is itself ≥ :data:`SPLIT_SHARE` one language.
    """
    langs = np.asarray(corpus.langs, dtype=object)
    assignments = np.asarray(topics.assignments)
    shares = {lang: round(float((langs == lang).mean()), 4) for lang in LANGUAGE_NAMES}
    if not len(langs) or max(shares.values()) >= SPLIT_SHARE:
        return LanguageSplit(corpus_shares=shares)
    labels = dict(zip(topics.table["topic"].tolist(), topics.table["label"].tolist(), strict=True))
    found: list[dict[str, Any]] = []
    judged = 0
    real_topics = sorted(set(assignments.tolist()) - {-1})
    for topic in real_topics:
        members = langs[assignments == topic]
        if len(members) < SPLIT_MIN_SIZE:
            continue
        judged += 1
        for lang in LANGUAGE_NAMES:
            share = float((members == lang).mean())
            if share >= SPLIT_SHARE:
                found.append(
                    {
                        "topic": int(topic),
                        "label": str(labels.get(topic, "")),
                        "size": len(members),
                        "lang": lang,
                        "share": round(share, 4),
                    }
                )
    found.sort(key=lambda entry: (-entry["size"], entry["topic"]))
    documents = sum(entry["size"] for entry in found)
    split = LanguageSplit(
        topics=found,
        topics_total=len(real_topics),
        topics_judged=judged,
        documents=documents,
        document_share=round(documents / len(langs), 4),
        corpus_shares=shares,
    )
    if not found:
        return split
    return replace(split, summary=_summary(split, cross_lingual))


def _summary(split: LanguageSplit, cross_lingual: bool) -> str:
    corpus_mix = ", ".join(
        f"{split.corpus_shares[lang]:.0%} {name}" for lang, name in LANGUAGE_NAMES.items()
    )
    if cross_lingual:
        cause = (
            "the embedding keeps translations together, so the languages likely hold different "
            "subjects; compare these topics' words in the dashboard's topic panel"
        )
    else:
        cause = (
            "the embedding may be splitting topics by language; for topics that span "
            "languages use embedding.backend: use or distilled"
        )
    return (
        f"{len(split.topics)} of {split.topics_total} topics ({split.document_share:.0%} of "
        f"documents) are ≥{SPLIT_SHARE:.0%} one language in a corpus that is {corpus_mix}: "
        f"{cause}."
    )


def no_topics_warning(
    n_topics: int, n_documents: int, min_cluster_size: int, setting: int | str
) -> str | None:
    """A line for a run that found no topic at all (every document an outlier), else ``None``.

    Such a run finishes and writes a report, but its dashboard is empty; the usual cause is a
    fixed ``hdbscan.min_cluster_size`` too large for the corpus, which the line names.
    """
    if n_topics or not n_documents:
        return None
    if setting == "auto":
        cause = f"HDBSCAN found no cluster of {min_cluster_size}+ similar documents"
        return f"no topics: every one of the {n_documents} documents is an outlier ({cause})."
    return (
        f"no topics: every one of the {n_documents} documents is an outlier "
        f"(hdbscan.min_cluster_size={setting}; try a smaller value or 'auto', "
        f"which gives {auto_size(n_documents)} here)."
    )
