"""The orchestrator: wires the stages, asks the cache before expensive ones, times everything.

No stage logic lives here: each stage is a function of the previous stage's value and its own
config section, and each decision sits with the stage that owns it (NOTES.md, "Map of the code").

Order: the stages see the documents in canonical order (:meth:`Corpus.canonical`, by text
hash), because UMAP, HDBSCAN and the translation detector depend on row order; the outputs put
them back in reading order. Listing the same files in another order gives the same topics.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from topics.assign import core_rows
from topics.assign.core import (
    check_fit_sample,
    core_embeddings,
    fitted_hdbscan,
    spread,
    spread_clusters,
    spread_reduced,
)
from topics.assign.store import run_assigner
from topics.cache import ArrayCache
from topics.cluster import cluster, reduce_cached
from topics.config import HdbscanSection, RunConfig
from topics.crosslingual.policy import align_clusters, align_labels, mark_translations
from topics.diagnostics import language_split, no_topics_warning
from topics.embed.centring import centre, choose_centring, language_means
from topics.embed.lexical import add_lexical, choose_lexical
from topics.embed.stage import (
    cache_root,
    embed_corpus,
    scratch_folder,
    translation_vectors,
    word_embedder,
)
from topics.engine import Engine, open_engine, worker_processes
from topics.evaluate.stability import refit_labels, stability_of, topic_stability
from topics.hashing import array_digest, digest
from topics.layers import build_layers, fixed_overview_warning, layers_table
from topics.manifest import build_manifest
from topics.preflight import Checked
from topics.progress import Progress, SilentProgress, StageClock, peak_rss_mb
from topics.registry import capable
from topics.represent.bertopic_stage import resolve_min_df
from topics.run_folder import RunFolder, RunOutputs
from topics.scratch import allocator
from topics.trends import check_dates, layer_labels, run_trends
from topics.types import Clusters, Corpus, Embeddings, Reduced, Topics


@dataclass
class RunResult:
    """What a run produced: its folder and the manifest written there."""

    run_dir: Path
    manifest: dict[str, Any]
    corpus: Corpus
    topics: Topics
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def run_pipeline(
    config: RunConfig,
    progress: Progress | None = None,
    engine: Engine | None = None,
    checked: Checked | None = None,
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
    checked:
        What :func:`topics.preflight.preflight` returned for ``config`` when the caller ran
        it (the CLI, to name the YAML file's line in an error; a sweep, for every trial before
        the first): preflight then runs once per run, and its embedder is the run's.

    Returns
    -------
    RunResult
        The run folder (``<output.dir>/<run.name>``) and its manifest.
    """
    from topics.preflight import preflight

    # A config that cannot run fails here, in one line, before any work.
    checked = checked if checked is not None and checked.config == config else preflight(config)
    clock = StageClock(progress or SilentProgress())
    if engine is not None:
        return _run(config, clock, engine, checked.embedder)
    with open_engine(config.engine) as opened:
        return _run(config, clock, opened, checked.embedder)


def _run(config: RunConfig, clock: StageClock, engine: Engine, embedder: Any) -> RunResult:
    """The stages of a run in order, each handing its typed value to the next."""
    started = datetime.now(UTC)
    began = time.perf_counter()
    umap_cache = ArrayCache(cache_root(config), "umap")
    corpus = _load(config, clock)
    check_fit_sample(config, len(corpus))  # before embedding: a late error wastes hours
    vectors = _embed(corpus, config, clock, engine, embedder)
    corpus, embeddings = vectors.corpus, vectors.embeddings
    core = vectors.core
    fitted = embeddings if core is None else core_embeddings(embeddings, core)
    reduced, clusters, hdbscan_section = _cluster(corpus, fitted, core, config, clock, umap_cache)
    core_labels = clusters.labels if clusters.found is None else clusters.found
    assigned = None
    if core is not None:
        with clock.stage("assign") as note:
            assigned, clusters = _assign_rest(corpus, embeddings, core, clusters, config, engine)
            note["text"] = (
                f"{len(assigned.rest)} documents by their {config.cluster.neighbors} nearest "
                f"of {len(core)} fitted ({int((assigned.labels == -1).sum())} outliers)"
            )
            clusters = align_clusters(corpus, clusters, note)
    topics = _represent(
        corpus, embeddings, reduced, clusters, config, clock, engine, embedder, core
    )
    with clock.stage("evaluate") as note:
        metrics = _evaluate(corpus, topics, config, core, core_labels, fitted, hdbscan_section)
        note["text"] = ", ".join(
            f"{k}={v:.3g}" for k, v in metrics.items() if k in _SHOWN and v is not None
        )
    with clock.stage("map2d") as note:
        map_section = config.umap.model_copy(update={"min_dist": MAP_MIN_DIST})
        map2d = reduce_cached(fitted, map_section, config.run.seed, umap_cache, n_components=2)
        note["text"] = "from cache" if map2d.from_cache else "2-D UMAP"
        if assigned is not None:
            map2d = spread_reduced(map2d, core_labels, assigned)
            note["text"] += f" of the sample; {len(assigned.rest)} placed by their neighbours"
    with clock.stage("layers") as note:
        layers = _layers(topics, config)
        note["text"] = " → ".join(str(c) for c in layers.counts) if layers.counts else "off"
    with clock.stage("names") as note:
        topics, layers, names = _names(
            topics, corpus, layers, embedder, config, vectors.language_means
        )
        note["text"] = f"{names.record['named']} named {names.record['method']}"
        if names.summary:
            note["text"] += f"; {names.summary}"
    assigner = run_assigner(
        embedder,
        embeddings.vectors,
        topics.assignments,
        map2d.coords,
        core,
        vectors.lexical_model,
        config.cluster,
        config.run.seed,
        vectors.language_means,
    )
    outputs, clusters = _in_reading_order(
        corpus, topics, clusters, map2d, assigned, layers, assigner, config, embeddings
    )
    corpus, topics = outputs.corpus, outputs.topics
    trends, trends_entry = _trends(outputs, layers, config)
    outputs = replace(outputs, trends=None if trends is None else trends.table)
    language, warnings = _diagnose(outputs, clusters, layers, vectors, embedder, config)
    record = _run_record(outputs, core, layers, vectors, reduced, map2d)
    del embeddings, fitted, vectors, assigned  # not needed for the files (1 GB+ at 1M)
    manifest = build_manifest(
        config, corpus, topics, clusters, metrics, language, started, warnings
    )
    manifest["counts"].update(record.pop("counts"))
    manifest.update(record)
    manifest["trends"] = trends_entry
    manifest["naming"] = names.record
    run_dir = _write(config, clock, outputs, manifest, began)
    notes = [f"no trends: {trends_entry['reason']}."] if "reason" in trends_entry else []
    if names.summary:
        notes.append(names.summary)
    return RunResult(
        run_dir=run_dir,
        manifest=manifest,
        corpus=corpus,
        topics=topics,
        warnings=warnings,
        notes=notes,
    )


def _diagnose(
    outputs: RunOutputs,
    clusters: Clusters,
    layers: _Layers,
    vectors: _Vectors,
    embedder: Any,
    config: RunConfig,
) -> tuple[Any, list[str]]:
    """The language-split diagnostic and the run's one-line warnings."""
    corpus, topics = outputs.corpus, outputs.topics
    # A lexical block (one-language corpora only) does not keep translations together.
    cross_lingual = capable(embedder, "keeps_translations") and vectors.lexical_model is None
    language = language_split(corpus, topics, cross_lingual)
    found = len(set(topics.assignments.tolist()) - {-1})
    empty = no_topics_warning(
        found, len(corpus), clusters.min_cluster_size, config.hdbscan.min_cluster_size
    )
    return language, [t for t in (corpus.cut, empty, language.summary, layers.warning) if t]


def _trends(outputs: RunOutputs, layers: _Layers, config: RunConfig) -> tuple[Any, dict[str, Any]]:
    """Shares per period and the emerging/declining topics of every layer (dated corpora)."""
    columns = {"topic": outputs.topics.assignments, **outputs.layer_columns}
    labels = layer_labels(outputs.topics.table, layers.table, list(columns))
    return run_trends(
        outputs.corpus.dates, columns, labels, config.trends.period, config.trends.recent
    )


def _write(
    config: RunConfig,
    clock: StageClock,
    outputs: RunOutputs,
    manifest: dict[str, Any],
    began: float,
) -> Path:
    """The run folder, written whole or not at all; the manifest gets its final timings."""
    with RunFolder.create(config.output.dir, config.run.name) as writer:
        with clock.stage("outputs"):
            writer.write_outputs(outputs)
        manifest["timings"] = dict(clock.timings)
        writer.write_manifest(manifest)
        if config.output.report:
            from topics.report import build_report

            with clock.stage("report"):
                build_report(writer.path)
        manifest["timings"] = dict(clock.timings) | {"total": round(time.perf_counter() - began, 3)}
        manifest["peak_rss_mb"] = peak_rss_mb()
        manifest["peak_rss_mb_after"] = dict(clock.peak_rss_mb)
        manifest["run"]["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
        writer.write_manifest(manifest)
    return writer.final


#: The 2-D map spreads points a little more than the clustering's UMAP (``umap.min_dist``).
MAP_MIN_DIST = 0.1


# --------------------------------------------------------------------------------------------
# The stages' wiring (each a function of the values before it)


def _load(config: RunConfig, clock: StageClock) -> Corpus:
    from topics.corpus import load_corpus

    with clock.stage("load") as note:
        corpus = load_corpus(
            config.corpus, scratch_folder(config), worker_processes(config.engine)
        ).canonical()
        note["text"] = f"{len(corpus)} documents ({corpus.duplicates_dropped} duplicates dropped)"
    check_dates(corpus.dates, corpus.sources, config.trends.bad_dates)  # before any long work
    return corpus


@dataclass(frozen=True)
class _Vectors:
    """The embed stage's value: the corpus (translations marked), its vectors (with the
    lexical block when used, language-centred when chosen), the core rows UMAP and HDBSCAN fit
    on, the block's model and the languages' means."""

    corpus: Corpus
    embeddings: Embeddings
    core: np.ndarray | None
    lexical: Any
    lexical_model: Any
    centring: Any = None
    language_means: np.ndarray | None = None


def _embed(
    corpus: Corpus, config: RunConfig, clock: StageClock, engine: Engine, embedder: Any
) -> _Vectors:
    root = cache_root(config)
    with clock.stage("embed", total=len(corpus)) as note:
        embeddings = embed_corpus(corpus, config, clock.progress, engine, embedder)
        note["text"] = "from cache" if embeddings.from_cache else config.embedding.backend
        vectors, threshold = translation_vectors(corpus, embeddings, config, engine, embedder)
        corpus, embeddings = mark_translations(
            corpus, embeddings, vectors, config.corpus.dedup, threshold
        )
        if corpus.translation_duplicates:
            note["text"] += f"; {corpus.translation_duplicates} translation duplicate(s)"
        # After translation detection, which needs the embedder's own vectors.
        lexical = choose_lexical(config.embedding, embedder, corpus.langs)
        # Above cluster.fit_sample documents UMAP and HDBSCAN see a seeded sample (the core)
        # and every other document is assigned by its nearest core documents (topics.assign).
        core = core_rows(len(corpus), config.cluster.fit_sample, config.run.seed)
        centring = choose_centring(config.embedding, embedder, corpus.langs)
        means = None
        if centring.used:
            means = language_means(embeddings.vectors, corpus.langs, core)
            centred = centre(
                embeddings.vectors, corpus.langs, means, allocator(scratch_folder(config))
            )
            key = digest(embeddings.cache_key, "language-centred", array_digest(means))
            embeddings = replace(embeddings, vectors=centred, cache_key=key)
            note["text"] += " (language-centred)"
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
    return _Vectors(corpus, embeddings, core, lexical, lexical_model, centring, means)


def _cluster(
    corpus: Corpus,
    fitted: Embeddings,
    core: np.ndarray | None,
    config: RunConfig,
    clock: StageClock,
    umap_cache: ArrayCache,
) -> tuple[Reduced, Clusters, HdbscanSection]:
    """UMAP and HDBSCAN on the fitted documents (translation pairs aligned without a core)."""
    with clock.stage("reduce") as note:
        reduced = reduce_cached(fitted, config.umap, config.run.seed, umap_cache)
        note["text"] = "from cache" if reduced.from_cache else f"UMAP → {reduced.coords.shape[1]}-d"
        if core is not None:
            note["text"] += f" on a sample of {len(core)}"
    with clock.stage("cluster") as note:
        hdbscan_section = fitted_hdbscan(config.hdbscan, len(corpus), core)
        clusters = cluster(reduced, hdbscan_section, config.run.seed)
        note["text"] = f"min_cluster_size={clusters.min_cluster_size}"
        if core is None:
            clusters = align_clusters(corpus, clusters, note)
    return reduced, clusters, hdbscan_section


def _assign_rest(
    corpus: Corpus,
    embeddings: Embeddings,
    core: np.ndarray,
    clusters: Clusters,
    config: RunConfig,
    engine: Engine,
) -> tuple[Any, Clusters]:
    """Every document outside the core, by the vote of its nearest core documents."""
    assigned = spread(
        embeddings.vectors, core, clusters.labels, config.cluster.neighbors, config.run.seed, engine
    )
    return assigned, spread_clusters(clusters, assigned)


def _represent(
    corpus: Corpus,
    embeddings: Embeddings,
    reduced: Reduced,
    clusters: Clusters,
    config: RunConfig,
    clock: StageClock,
    engine: Engine,
    embedder: Any,
    core: np.ndarray | None,
) -> Topics:
    from topics.represent import represent

    with clock.stage("represent") as note:
        topics = represent(
            corpus,
            embeddings,
            reduced,
            clusters,
            config.topics,
            word_embedder(config, embedder),
            cache_root(config),
            seed=config.run.seed,
            engine=engine,
            fitted_rows=core,
        )
        found = len(set(topics.assignments.tolist()) - {-1})
        note["text"] = f"{found} topics, {(topics.assignments == -1).sum()} outliers"
        if core is not None:
            note["text"] += f"; words from the {len(core)} fitted documents"
    return topics


def _evaluate(
    corpus: Corpus,
    topics: Topics,
    config: RunConfig,
    core: np.ndarray | None,
    core_labels: np.ndarray,
    fitted: Embeddings,
    hdbscan_section: HdbscanSection,
) -> dict[str, Any]:
    from topics.evaluate import evaluate
    from topics.text.stopwords import stopwords

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
    umap_cache = ArrayCache(cache_root(config), "umap")
    refit = partial(refit_labels, fitted, config.umap, hdbscan_section, umap_cache)
    refits = [
        align_labels(fitted_corpus, refit(config.run.seed + offset))
        for offset in range(1, config.run.seeds)
    ]
    first = align_labels(fitted_corpus, core_labels)
    stability_ari = stability_of(first, refits)
    if stability_ari is not None:
        metrics["stability_ari"] = stability_ari
        # Per topic: which topics survive a reseed (topics.csv's ``stability`` column).
        fitted_topics = topics.assignments if core is None else topics.assignments[core]
        per_topic = topic_stability(fitted_topics, first != -1, refits)
        ids = topics.table["topic"].astype(int)
        topics.table["stability"] = ids.map(per_topic).where(ids != -1)
    metrics["generic_label_share"] = topics.generic_label_share
    return metrics


@dataclass(frozen=True)
class _Layers:
    layers: Any
    columns: dict[str, np.ndarray]
    table: Any
    generic: dict[str, float]
    counts: list[int]
    warning: str | None


def _layers(topics: Topics, config: RunConfig) -> _Layers:
    sizes = {
        int(t): int(s) for t, s in zip(topics.table["topic"], topics.table["size"], strict=True)
    }
    layers = build_layers(topics.topic_vectors, sizes, config.topics.layers)
    columns = layers.of_documents(topics.assignments)
    table, generic = layers_table(
        layers, columns, topics.table, topics.labeler, config.topics.top_n_words
    )
    counts = table["layer"].value_counts().sort_index().tolist()
    warning = fixed_overview_warning(config.topics.layers, counts)
    return _Layers(layers, columns, table, generic, counts, warning)


def _names(
    topics: Topics,
    corpus: Corpus,
    layers: _Layers,
    embedder: Any,
    config: RunConfig,
    means: np.ndarray | None,
) -> tuple[Topics, _Layers, Any]:
    """Every topic's and group's name, joined onto ``topics.csv`` and ``layers.csv``."""
    from topics.naming import name_topics
    from topics.naming.stage import with_names

    names = name_topics(
        topics,
        corpus,
        layers.layers,
        layers.columns,
        layers.table,
        embedder,
        config,
        cache_root(config),
        means,
    )
    topics = replace(topics, table=with_names(topics.table, names.of_layer(0), "topic"))
    table = layers.table
    if table is not None and not table.empty:
        parts = [
            with_names(table[table["layer"] == level], names.of_layer(level), "id")
            for level in sorted(table["layer"].unique().tolist())
        ]
        table = pd.concat(parts, ignore_index=True)
        layers = replace(layers, table=table)
    return topics, layers, names


def _in_reading_order(
    corpus: Corpus,
    topics: Topics,
    clusters: Clusters,
    map2d: Reduced,
    assigned: Any,
    layers: _Layers,
    assigner: Any,
    config: RunConfig,
    embeddings: Embeddings,
) -> tuple[RunOutputs, Clusters]:
    """The run's files' contents, back in the user's reading order."""
    order = corpus.reading_order()
    assigned_by = np.full(len(corpus), "fit", dtype=object)
    if assigned is not None:
        assigned_by[assigned.rest] = "vote"
    clusters = replace(
        clusters,
        labels=clusters.labels[order],
        found=None if clusters.found is None else clusters.found[order],
    )
    outputs = RunOutputs(
        corpus=corpus.subset(order),
        topics=topics.take(order),
        assigned_by=assigned_by[order],
        layer_columns={column: values[order] for column, values in layers.columns.items()},
        layer_table=layers.table,
        map2d=np.asarray(map2d.coords, dtype=np.float32)[order],
        dimensions=embeddings.vectors.shape[1],
        save_model=config.output.save_model,
        assigner=assigner,
    )
    return outputs, clusters


def _run_record(
    outputs: RunOutputs,
    core: np.ndarray | None,
    layers: _Layers,
    vectors: _Vectors,
    reduced: Reduced,
    map2d: Reduced,
) -> dict[str, Any]:
    """The manifest keys only the run knows (besides :func:`build_manifest`'s)."""
    names = ["topic", *layers.layers.columns]  # fine → coarse
    n = len(outputs.corpus)
    return {
        # UMAP and HDBSCAN saw the `fitted` documents; the `assigned` got theirs by a vote.
        "counts": {
            "fitted": n if core is None else len(core),
            "assigned": 0 if core is None else n - len(core),
        },
        "lexical": {"used": vectors.lexical.used, "reason": vectors.lexical.reason},
        "language_centring": {"used": vectors.centring.used, "reason": vectors.centring.reason},
        "layers": names,
        "overview": names[-1],
        # Issue 10's label target holds for every layer, not only the fine topics.
        "layer_generic_label_share": {"topic": outputs.topics.generic_label_share} | layers.generic,
        "cache": {
            "embeddings": "hit" if vectors.embeddings.from_cache else "miss",
            "umap": "hit" if reduced.from_cache else "miss",
            "map2d": "hit" if map2d.from_cache else "miss",
        },
    }


_SHOWN = {"npmi", "diversity", "outlier_share", "nmi_all", "stability_ari"}
