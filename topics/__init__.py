"""topics — config-driven topic modelling for research abstracts (Chinese + English).

Public API::

    from topics import load_config, run_pipeline
    result = run_pipeline(load_config("configs/default.yaml"))
    print(result.run_dir)
"""

from topics.config import RunConfig, load_config
from topics.errors import ConfigError, InputError, TopicsError


def run_pipeline(config: RunConfig, progress=None):  # noqa: ANN001, ANN201 (re-export)
    """Run the whole pipeline (see :func:`topics.pipeline.run_pipeline`)."""
    from topics.pipeline import run_pipeline as _run

    return _run(config, progress)


__all__ = ["ConfigError", "InputError", "RunConfig", "TopicsError", "load_config", "run_pipeline"]
__version__ = "0.1.0"
