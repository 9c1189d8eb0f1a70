"""topics — config-driven topic modelling for research abstracts (Chinese + English).

Public API::

    from topics import Run, TopicModel

    run = TopicModel.from_config("configs/fast.yaml").fit(abstracts)  # or fit() for the files
    run.topics, run.documents          # DataFrames of topics.csv / documents.parquet
    run.assign(new_abstracts)          # topics for new documents, no refit
    Run.load("reports/fast")
    compare("reports/a", "reports/b")  # topics matched one to one; split, merged, new, gone

or, one level down, ``run_pipeline(load_config("configs/default.yaml"))``.
"""

from topics.config import RunConfig, load_config
from topics.errors import ConfigError, InputError, TopicsError


def run_pipeline(config: RunConfig, progress=None):  # noqa: ANN001, ANN201 (re-export)
    """Run the whole pipeline (see :func:`topics.pipeline.run_pipeline`)."""
    from topics.pipeline import run_pipeline as _run

    return _run(config, progress)


def compare(run_a, run_b):  # noqa: ANN001, ANN201 (re-export)
    """Match two runs' topics (see :func:`topics.comparison.compare_runs`)."""
    from topics.comparison import compare_runs

    return compare_runs(run_a, run_b)


def __getattr__(name: str):  # noqa: ANN202 (lazy: pandas loads only when the API is used)
    if name in {"TopicModel", "Run"}:
        from topics import api

        return getattr(api, name)
    raise AttributeError(f"module 'topics' has no attribute {name!r}")


__all__ = [
    "ConfigError",
    "InputError",
    "Run",
    "RunConfig",
    "TopicModel",
    "TopicsError",
    "compare",
    "load_config",
    "run_pipeline",
]
__version__ = "0.1.0"
