"""The orchestrator: wires the stages, asks the cache before expensive ones, times everything.

No stage logic lives here; each stage is a function of the previous stage's value and its own
config section. Translation policy is in :mod:`topics.crosslingual.policy`, the stability
check in :mod:`topics.evaluate.stability`, diagnostics in :mod:`topics.diagnostics` and the
manifest in :mod:`topics.manifest`.

Order: the stages see the documents in canonical order (:meth:`Corpus.canonical`, by text
hash), because UMAP, HDBSCAN and the translation detector depend on row order; the outputs put
them back in reading order. Listing the same files in another order gives the same topics.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from topics.assign import core_rows
from topics.assign.core import (
    core_embeddings,
    core_hdbscan,
    spread,
    spread_clusters,
    spread_reduced,
)
from topics.assign.store import FOLDER as ASSIGN_FOLDER
from topics.assign.store import build_assigner, save_assigner
from topics.cache import ArrayCache
from topics.cluster import cluster, reduce
from topics.config import HdbscanSection, RunConfig, UmapSection
from topics.crosslingual.policy import align_labels, mark_translations
from topics.diagnostics import language_split, no_topics_warning
from topics.embed.base import make_embedder
from topics.embed.lexical import add_lexical, choose_lexical, lexical_fingerprint
from topics.embed.stage import cache_root, embed_corpus, scratch_folder, translation_vectors
from topics.engine import Engine, open_engine
from topics.errors import ConfigError
from topics.evaluate.stability import seed_stability
from topics.layers import build_layers, fixed_overview_warning, layers_table
from topics.manifest import build_manifest, peak_rss_mb
from topics.progress import Progress, SilentProgress
from topics.registry import capable
from topics.represent.bertopic_stage import resolve_min_df
from topics.scratch import allocator, take_rows
from topics.types import Clusters, Corpus, Embeddings, Reduced, Topics


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
    peak_rss_mb: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str, total: int | None = None) -> Iterator[dict[str, str]]:
        """Time a stage; the body may set ``note["text"]`` for the summary line."""
        note = {"text": ""}
        self.progress.start(name, total)
        began = time.perf_counter()
        yield note
        seconds = time.perf_counter() - began
        self.timings[name] = round(self.timings.get(name, 0.0) + seconds, 3)
        # The process's peak so far, after each stage: the first stage whose value jumps is
        # the one that sets the run's peak memory.
        self.peak_rss_mb[name] = peak_rss_mb()
        self.progress.finish(name, seconds, note["text"])


# --------------------------------------------------------------------------------------------
# Stage wiring


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
    # Only the coordinates are used from here on: dropping the fitted UMAP (its kNN graph and
    # search index, ~0.4 GB at 50k documents) lowers the run's peak memory.
    return replace(reduced, reducer=None)


def _align(corpus: Corpus, clusters: Clusters, note: dict[str, str]) -> Clusters:
    """Detected translation pairs in one cluster; ``found`` keeps the labels as clustered."""
    if not corpus.translation_duplicates:
        return clusters
    aligned = align_labels(corpus, clusters.labels)
    note["text"] += f"; {int((aligned != clusters.labels).sum())} translation(s) aligned"
    found = clusters.labels if clusters.found is None else clusters.found
    return replace(clusters, labels=aligned, found=found)


def check_fit_sample(config: RunConfig, n_documents: int) -> None:
    """Refuse, before embedding, a setting that needs HDBSCAN on every document."""
    sample = config.cluster.fit_sample
    if (
        sample is not None
        and n_documents > sample
        and config.topics.outliers.strategy == "probabilities"
    ):
        raise ConfigError(
            "The 'topics.outliers.strategy' parameter 'probabilities' needs HDBSCAN's soft "
            f"clustering of every document, but the corpus has {n_documents} documents and "
            f"cluster.fit_sample is {config.cluster.fit_sample}. Use another strategy or set "
            "cluster.fit_sample: null. Got 'probabilities' instead."
        )


def _refit_labels(
    embeddings: Embeddings,
    umap_section: UmapSection,
    hdbscan_section: HdbscanSection,
    cache: ArrayCache,
    seed: int,
) -> np.ndarray:
    """Cluster labels of the run's reduction and clustering under another seed."""
    reduced = reduce_cached(embeddings, umap_section, seed, cache)
    return cluster(reduced, hdbscan_section, seed).labels


# --------------------------------------------------------------------------------------------
# The run


def run_pipeline(
    config: RunConfig, progress: Progress | None = None, engine: Engine | None = None
) -> RunResult:
    """Run every stage for ``config`` and write the run folder atomically.

    Parameters
    ----------
    config:
        A validated configuration (see :func:`topics.config.load_config`).
    progress:
        Receives stage starts, row progress and stage timings (``None`` = silent).
    engine:
        An open engine to run on (a sweep shares one across its trials); ``None`` opens the
        one ``config.engine`` describes for this run.

    Returns
    -------
    RunResult
        The run folder (``<output.dir>/<run.name>``) and its manifest.
    """
    from topics.preflight import preflight

    preflight(config)  # a config that cannot run fails here, in one line, before any work
    clock = _Clock(progress or SilentProgress())
    if engine is not None:
        return _run(config, clock, engine)
    with open_engine(config.engine) as opened:
        return _run(config, clock, opened)


def _run(config: RunConfig, clock: _Clock, engine: Engine) -> RunResult:
    """The body of :func:`run_pipeline`, with the run's engine open."""
    from topics.corpus import load_corpus
    from topics.evaluate import evaluate
    from topics.outputs import (
        atomic_run_folder,
        write_documents,
        write_layers_csv,
        write_manifest,
        write_model,
        write_topic_vectors,
        write_topic_words,
        write_topics_csv,
    )
    from topics.represent import represent
    from topics.text.stopwords import stopwords

    started = datetime.now(UTC)
    began = time.perf_counter()
    root = cache_root(config)
    umap_cache = ArrayCache(root, "umap")

    with clock.stage("load") as note:
        corpus = load_corpus(config.corpus, spill=scratch_folder(config)).canonical()
        note["text"] = f"{len(corpus)} documents ({corpus.duplicates_dropped} duplicates dropped)"
    check_fit_sample(config, len(corpus))  # before embedding: a late error wastes hours
    with clock.stage("embed", total=len(corpus)) as note:
        embeddings = embed_corpus(corpus, config, clock.progress, engine)
        note["text"] = "from cache" if embeddings.from_cache else config.embedding.backend
        vectors, threshold = translation_vectors(corpus, embeddings, config, engine)
        corpus, embeddings = mark_translations(
            corpus, embeddings, vectors, config.corpus.dedup, threshold
        )
        if corpus.translation_duplicates:
            note["text"] += f"; {corpus.translation_duplicates} translation duplicate(s)"
        # After translation detection, which needs the embedder's own vectors.
        embedder = make_embedder(config.embedding, root)
        lexical = choose_lexical(config.embedding, embedder, corpus.langs)
        # Above cluster.fit_sample documents UMAP and HDBSCAN see a seeded sample (the core)
        # and every other document is assigned by its nearest core documents (topics.assign).
        core = core_rows(len(corpus), config.cluster.fit_sample, config.run.seed)
        lexical_model = None
        if lexical.used:
            embeddings, lexical_model = add_lexical(
                corpus,
                embeddings,
                config.embedding,
                root,
                core,
                engine,
                allocator(scratch_folder(config)),
            )
            note["text"] += f" + TF-IDF block ({lexical.reason})"
    fitted = embeddings if core is None else core_embeddings(embeddings, core)
    with clock.stage("reduce") as note:
        reduced = reduce_cached(fitted, config.umap, config.run.seed, umap_cache)
        note["text"] = "from cache" if reduced.from_cache else f"UMAP → {reduced.coords.shape[1]}-d"
        if core is not None:
            note["text"] += f" on a sample of {len(core)}"
    with clock.stage("cluster") as note:
        hdbscan_section = (
            config.hdbscan if core is None else core_hdbscan(config.hdbscan, len(corpus), len(core))
        )
        clusters = cluster(reduced, hdbscan_section, config.run.seed)
        core_labels = clusters.labels
        note["text"] = f"min_cluster_size={clusters.min_cluster_size}"
        if core is None:
            clusters = _align(corpus, clusters, note)
    assigned = None
    if core is not None:
        with clock.stage("assign") as note:
            assigned = spread(
                embeddings.vectors,
                core,
                core_labels,
                config.cluster.neighbors,
                config.run.seed,
                engine,
            )
            clusters = spread_clusters(clusters, assigned)
            note["text"] = (
                f"{len(assigned.rest)} documents by their {config.cluster.neighbors} nearest "
                f"of {len(core)} fitted ({int((assigned.labels == -1).sum())} outliers)"
            )
            clusters = _align(corpus, clusters, note)
    with clock.stage("represent") as note:
        topics = represent(
            corpus,
            embeddings,
            reduced,
            clusters,
            config.topics,
            _word_embedder(config),
            root,
            seed=config.run.seed,
            engine=engine,
            fitted_rows=core,
        )
        found = len(set(topics.assignments.tolist()) - {-1})
        note["text"] = f"{found} topics, {(topics.assignments == -1).sum()} outliers"
        if core is not None:
            note["text"] += f"; words from the {len(core)} fitted documents"
    with clock.stage("evaluate") as note:
        metrics = evaluate(
            topics.document_term,
            topics.vocabulary,
            {t: [w for w, _ in ws] for t, ws in topics.words.items()},
            topics.assignments,
            corpus.labels,
            stopwords(config.topics.extra_stopwords),
            resolve_min_df(config.topics, topics.document_term.shape[0]),
        )
        fitted_corpus = corpus if core is None else corpus.subset(core)
        stability_ari = seed_stability(
            align_labels(fitted_corpus, core_labels),
            partial(_refit_labels, fitted, config.umap, hdbscan_section, umap_cache),
            [config.run.seed + offset for offset in range(1, config.run.seeds)],
            finish=lambda labels: align_labels(fitted_corpus, labels),
        )
        if stability_ari is not None:
            metrics["stability_ari"] = stability_ari
        metrics["generic_label_share"] = topics.generic_label_share
        note["text"] = ", ".join(
            f"{k}={v:.3g}" for k, v in metrics.items() if k in _SHOWN and v is not None
        )
    with clock.stage("map2d") as note:
        map_section = config.umap.model_copy(update={"min_dist": 0.1})
        map2d = reduce_cached(fitted, map_section, config.run.seed, umap_cache, n_components=2)
        note["text"] = "from cache" if map2d.from_cache else "2-D UMAP"
        if assigned is not None:
            map2d = spread_reduced(map2d, core_labels, assigned)
            note["text"] += f" of the sample; {len(assigned.rest)} placed by their neighbours"

    with clock.stage("layers") as note:
        layers = build_layers(
            topics.topic_vectors,
            {
                int(t): int(s)
                for t, s in zip(topics.table["topic"], topics.table["size"], strict=True)
            },
            config.topics.layers,
        )
        layer_columns = layers.of_documents(topics.assignments)
        layer_table, layer_generic = layers_table(
            layers,
            layer_columns,
            topics.table,
            topics.labeler,
            config.topics.top_n_words,
        )
        counts = layer_table["layer"].value_counts().sort_index().tolist()
        note["text"] = " → ".join(str(c) for c in counts) if counts else "off"
        layers_warning = fixed_overview_warning(config.topics.layers, counts)
    assigner = None
    if capable(embedder, "embeds_words"):  # new documents can be embedded the same way
        fitted_rows = np.arange(len(corpus)) if core is None else core
        assigner = build_assigner(
            take_rows(embeddings.vectors, fitted_rows),
            topics.assignments[fitted_rows],
            np.asarray(map2d.coords)[fitted_rows],
            lexical_fingerprint(embedder.fingerprint(), lexical_model),
            config.cluster.neighbors,
            config.run.seed,
            lexical_model,
        )

    # Back to the user's reading order for everything written from here on.
    order = corpus.reading_order()
    corpus, topics = corpus.subset(order), topics.take(order)
    clusters = replace(
        clusters,
        labels=clusters.labels[order],
        found=None if clusters.found is None else clusters.found[order],
    )
    map_coords = np.asarray(map2d.coords, dtype=np.float32)[order]
    assigned_by = np.full(len(corpus), "fit", dtype=object)
    if assigned is not None:
        assigned_by[assigned.rest] = "vote"
    assigned_by = assigned_by[order]
    layer_columns = {column: values[order] for column, values in layer_columns.items()}
    # A lexical block (one-language corpora only) does not keep translations together.
    cross_lingual = capable(embedder, "keeps_translations") and lexical_model is None
    language = language_split(corpus, topics, cross_lingual)
    empty = no_topics_warning(
        found, len(corpus), clusters.min_cluster_size, config.hdbscan.min_cluster_size
    )
    warnings = [text for text in (corpus.cut, empty, language.summary, layers_warning) if text]
    output_dir = Path(config.output.dir)
    with atomic_run_folder(output_dir, config.run.name) as folder:
        with clock.stage("outputs"):
            write_topics_csv(topics, folder / "topics.csv")
            write_documents(
                corpus, topics, folder / "documents.parquet", assigned_by, layer_columns
            )
            write_layers_csv(layer_table, folder / "layers.csv")
            write_topic_words(topics, folder / "topic_words.json")
            write_topic_vectors(topics, folder / "topic_vectors.npy", embeddings.vectors.shape[1])
            np.save(folder / "map2d.npy", map_coords)
            if config.output.save_model:
                write_model(topics, folder / "model")
            if assigner is not None:  # what `topics assign` needs (topics.assign.store)
                save_assigner(assigner, folder / ASSIGN_FOLDER)
        manifest = build_manifest(
            config, corpus, topics, clusters, metrics, language, started, warnings
        )
        # UMAP and HDBSCAN saw `fitted` documents; `assigned` got their topic by a vote.
        manifest["counts"]["fitted"] = len(corpus) if core is None else len(core)
        manifest["counts"]["assigned"] = 0 if assigned is None else len(assigned.rest)
        manifest["lexical"] = {"used": lexical.used, "reason": lexical.reason}
        manifest["layers"] = ["topic", *layers.columns]  # fine → coarse
        manifest["overview"] = manifest["layers"][-1]
        # Issue 10's label target holds for every layer, not only the fine topics.
        manifest["layer_generic_label_share"] = {
            "topic": topics.generic_label_share,
            **layer_generic,
        }
        manifest["cache"] = {
            "embeddings": "hit" if embeddings.from_cache else "miss",
            "umap": "hit" if reduced.from_cache else "miss",
            "map2d": "hit" if map2d.from_cache else "miss",
        }
        manifest["timings"] = dict(clock.timings)
        write_manifest(manifest, folder / "manifest.json")
        # The page is built from the files just written: the run's vectors and neighbour
        # lists (over 1 GB at a million documents) are not needed for it.
        del embeddings, fitted, vectors, assigned
        if config.output.report:
            with clock.stage("report"):
                from topics.report import build_report

                build_report(folder)
        manifest["timings"] = dict(clock.timings) | {"total": round(time.perf_counter() - began, 3)}
        manifest["peak_rss_mb"] = peak_rss_mb()
        manifest["peak_rss_mb_after"] = dict(clock.peak_rss_mb)
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
    embedder = make_embedder(config.embedding, cache_root(config))
    if capable(embedder, "embeds_words"):
        return embedder
    # Corpus-fitted or file-backed vectors cannot embed new words: use the distilled table.
    return make_embedder(
        config.embedding.model_copy(update={"backend": "distilled"}), cache_root(config)
    )
