"""The stages before ``represent`` on the shipped sample, run once per session (real models)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import make_config
from topics.config import RunConfig
from topics.types import Clusters, Corpus, Embeddings, Reduced, Topics

# Stated here, not taken from the presets: these tests need outliers (leaf selection with a
# small min_samples leaves about a third of the sample as outliers before reassignment).
CLUSTERING = (
    "hdbscan.min_cluster_size=3",
    "hdbscan.min_samples=3",
    "hdbscan.cluster_selection_method=leaf",
    "hdbscan.cluster_selection_epsilon=0.0",
    "umap.n_neighbors=7",
    "umap.n_components=5",
    "umap.min_dist=0.0",
    "umap.metric=cosine",
    "run.seed=42",
)


@dataclass(frozen=True)
class SampleStages:
    """Corpus, USE embeddings, UMAP and HDBSCAN output of the sample, rows aligned."""

    folder: Path
    corpus: Corpus
    embeddings: Embeddings
    reduced: Reduced
    clusters: Clusters

    def config(self, *overrides: str) -> RunConfig:
        return make_config(self.folder, *CLUSTERING, *overrides)

    def represent(self, *overrides: str, word_embedder: object = None) -> Topics:
        """``represent`` on these stages with the ``topics`` section from ``overrides``."""
        from topics.represent import represent

        config = self.config(*overrides)
        return represent(
            self.corpus,
            self.embeddings,
            self.reduced,
            self.clusters,
            config.topics,
            word_embedder,
            self.folder / "cache",
            seed=config.run.seed,
        )


@pytest.fixture(scope="session")
def sample_stages(session_dir: Path) -> SampleStages:
    """Embeddings come from (or go to) the session's shared cache; UMAP is fitted here."""
    from topics.cluster import cluster, reduce
    from topics.corpus import load_corpus
    from topics.pipeline import SilentProgress, embed_corpus

    config = make_config(session_dir, *CLUSTERING)
    corpus = load_corpus(config.corpus)
    embeddings = embed_corpus(corpus, config, SilentProgress())
    reduced = reduce(embeddings, config.umap, config.run.seed)
    clusters = cluster(reduced, config.hdbscan, config.run.seed)
    assert (clusters.labels == -1).sum() >= 5, "the tests below need outliers"
    return SampleStages(session_dir, corpus, embeddings, reduced, clusters)
