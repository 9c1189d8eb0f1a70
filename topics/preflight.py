"""Checks that a run can start, made before any work: a mistake costs seconds, not an embedding.

:func:`preflight` builds the configured components through the registries (constructors only
store settings: nothing is loaded or computed) and checks what each will need — input files,
models on disk, output folders — raising the same one-line :class:`~topics.errors.ConfigError`
or :class:`~topics.errors.InputError` the run would raise later. ``topics validate`` calls it,
and so does :func:`topics.pipeline.run_pipeline` before loading the corpus.

It also answers which metric names umap-learn and hdbscan accept (asked by the config's
validation, so a typo fails before the embedding stage rather than inside the library after it).
"""

from __future__ import annotations

import functools
import os
import re
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from topics.common import did_you_mean
from topics.config import HdbscanSection, RunConfig, UmapSection, override_origins
from topics.config_errors import Origins, where
from topics.errors import ConfigError, TopicsError
from topics.registry import embedders, part_with

__all__ = [
    "Checked",
    "build_embedder",
    "check_metrics",
    "hdbscan_metric_problem",
    "preflight",
    "umap_metric_problem",
]


@dataclass(frozen=True)
class Checked:
    """A config that passed :func:`preflight`, with the embedder it built (the run's own:
    it is built once per run and handed to every stage that embeds)."""

    config: RunConfig
    embedder: Any


def preflight(
    config: RunConfig,
    source: Path | None = None,
    overrides: list[str] | None = None,
    corpus_source: str = "corpus.paths",
) -> Checked:
    """Raise a one-line ConfigError/InputError when ``config`` cannot run; return otherwise.

    Checks, in order: the embedding backend and its settings (combined components and weights,
    a precomputed file, a sentence-transformers model on disk, the optional extra it needs);
    that ``corpus.dedup: translations`` has USE vectors to work with; that every
    ``corpus.paths`` entry names readable files; that ``output.dir`` (and ``cache.dir`` when
    the cache is on) can be created and written. Leaves nothing behind.

    Parameters
    ----------
    config:
        The validated configuration.
    source, overrides:
        The YAML file and the ``--set`` overrides it came from (optional): an error about a
        key then starts with the file's line, or with the ``--set`` that gave the value.
    corpus_source:
        What ``corpus.paths`` is called in an error about a missing or unreadable input
        (``topics assign`` names its FILES argument).

    Returns
    -------
    Checked
        The config and its built embedder.
    """
    check_metrics(config, source, override_origins(overrides or []))
    try:
        return Checked(config, _check(config, corpus_source))
    except TopicsError as error:
        key = _KEY_IN_MESSAGE.match(str(error))
        if key and (source is not None or overrides):
            loc = tuple(next(group for group in key.groups() if group).split("."))
            error.args = (where(loc, source, override_origins(overrides or [])) + str(error),)
        raise


# "The 'embedding.weights' parameter ..." or "corpus.paths: 'x' does not exist."
_KEY_IN_MESSAGE = re.compile(r"The '([a-z_]+(?:\.[a-z_]+)+)' parameter|([a-z_]+(?:\.[a-z_]+)+): ")


def _check(config: RunConfig, corpus_source: str) -> Any:
    embedder = build_embedder(config)
    for part in [embedder, *(getattr(embedder, "components", None) or [])]:
        check = getattr(part, "check_available", None)
        if check is not None:
            check()
    from topics.embed.lexical import check_lexical

    check_lexical(config.embedding, embedder)
    if config.corpus.dedup == "translations" and part_with(embedder, "use_vectors") is None:
        raise ConfigError(
            "The 'corpus.dedup' parameter 'translations' needs USE vectors: set "
            "embedding.backend to 'use' or to 'combined' with 'use' among its components. "
            f"Got embedding.backend '{config.embedding.backend}' instead."
        )
    check_naming(config)
    from topics.corpus.load import expand_paths

    expand_paths(config.corpus.paths, config.corpus.format, corpus_source)
    check_writable_dir("output.dir", config.output.dir)
    if config.cache.enabled:
        check_writable_dir("cache.dir", config.cache.dir)
    if config.engine.kind == "dask":
        from topics.engine import require_distributed

        require_distributed()  # the extra is there; the cluster itself is reached on first use
    return embedder


def check_naming(config: RunConfig) -> None:
    """``topics.naming.method: llm`` needs an endpoint and a model, and a key variable that is
    set (a missing key would fail every request after the run's work is done)."""
    naming = config.topics.naming
    if naming.method != "llm":
        return
    for key in ("endpoint", "model"):
        if getattr(naming, key) is None:
            raise ConfigError(
                f"The 'topics.naming.{key}' parameter must be set when topics.naming.method is "
                "'llm'. Got null instead."
            )
    if naming.api_key_env and naming.api_key_env not in os.environ:
        raise ConfigError(
            "The 'topics.naming.api_key_env' parameter must name an environment variable that "
            f"is set. Got {naming.api_key_env!r} instead, which is not set."
        )


def build_embedder(config: RunConfig) -> Any:
    """The configured embedder, built by its registered factory (stores settings only)."""
    cache_dir = Path(config.cache.dir) if config.cache.enabled else None
    return embedders.get(config.embedding.backend)(config.embedding, cache_dir)


def check_writable_dir(key: str, value: str) -> None:
    """Raise ConfigError unless the folder ``value`` exists or can be created, and is writable.

    Nothing is created: the writability of the folder (or of its nearest existing ancestor,
    where the missing part would be created) is tried with an anonymous temporary file.
    """
    path = Path(value).expanduser()
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(
            f"The '{key}' parameter must be a folder that can be created. Got '{value}' instead: "
            f"'{existing}' is a file."
        )
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as error:
        raise ConfigError(
            f"The '{key}' parameter must be a folder this user can create and write. Got "
            f"'{value}' instead: '{existing}' is not writable ({error.strerror or error})."
        ) from None


# --------------------------------------------------------------------------------------------
# Metric names the libraries accept (config validation asks, for non-default names only)


def check_metrics(config: RunConfig, source: Path | None, origins: Origins | None) -> None:
    """Refuse metric names umap-learn / hdbscan would reject only after the embedding stage.

    Called by :func:`preflight` (the schema stays free of library imports). The defaults are
    known good (a test checks them against the libraries), so the libraries (seconds to
    import) are consulted only for a metric the user chose.
    """
    problems = {}
    if config.umap.metric != UmapSection.model_fields["metric"].default:
        problems["umap"] = umap_metric_problem(config.umap.metric)
    if config.hdbscan.metric != HdbscanSection.model_fields["metric"].default:
        problems["hdbscan"] = hdbscan_metric_problem(
            config.hdbscan.metric, config.umap.n_components
        )
    for section, problem in problems.items():
        if problem:
            value = getattr(config, section).metric
            raise ConfigError(
                f"{where((section, 'metric'), source, origins)}The '{section}.metric' parameter "
                f"must be {problem[0]}. Got {value!r} instead.{problem[1]}"
            )


@functools.lru_cache(maxsize=1)
def umap_metrics() -> tuple[str, ...]:
    """Every metric name ``umap.UMAP`` accepts for vectors: umap's own and pynndescent's."""
    from pynndescent.distances import named_distances as pynndescent_distances
    from umap.distances import named_distances

    return tuple(sorted(set(named_distances) | set(pynndescent_distances)))


def umap_metric_problem(metric: str) -> tuple[str, str] | None:
    """``None`` when umap-learn accepts ``metric``, else (what it accepts, "Did you mean")."""
    known = umap_metrics()
    if metric in known:
        return None
    return f"one of the metrics umap-learn accepts {list(known)}", did_you_mean(metric, known)


def _hdbscan_candidates() -> list[str]:
    """Metric names hdbscan, its trees or scikit-learn's pairwise distances know about."""
    from hdbscan.dist_metrics import METRIC_MAPPING
    from sklearn.metrics.pairwise import distance_metrics
    from sklearn.neighbors import VALID_METRICS

    names = set(METRIC_MAPPING) | set(distance_metrics())
    for listed in VALID_METRICS.values():
        names |= {name for name in listed if isinstance(name, str)}
    return sorted(names - {"precomputed"})  # the stage hands hdbscan coordinates, not distances


@functools.lru_cache(maxsize=256)
def hdbscan_accepts(metric: str, dimensions: int) -> bool:
    """Whether hdbscan clusters ``dimensions``-d points with ``metric`` as the stage calls it.

    hdbscan's names do not tell: some need parameters the stage does not pass (minkowski's
    ``p``, mahalanobis's ``V``) and prediction data refuses others (cosine), so a tiny fit with
    the stage's settings (``topics/cluster/hdbscan_stage.py``) answers.
    """
    import hdbscan
    import numpy as np

    points = np.random.default_rng(0).random((30, max(dimensions, 1)))
    model = hdbscan.HDBSCAN(min_cluster_size=3, min_samples=3, metric=metric, prediction_data=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(points)
    except Exception:  # noqa: BLE001 (any failure means "not usable here")
        return False
    return True


def hdbscan_metric_problem(metric: str, dimensions: int) -> tuple[str, str] | None:
    """``None`` when hdbscan accepts ``metric`` on the UMAP output, else (accepted, hint)."""
    if hdbscan_accepts(metric, dimensions):
        return None
    working = [name for name in _hdbscan_candidates() if hdbscan_accepts(name, dimensions)]
    return (
        f"one of the metrics hdbscan accepts on {dimensions}-d UMAP output {working}",
        did_you_mean(metric, working),
    )
