"""Shared fixtures: real runs of the real pipeline on the shipped sample corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from topics.config import RunConfig, load_config

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
DATA = Path(__file__).resolve().parent / "data"


def make_config(tmp: Path, *overrides: str, config: Path | None = None) -> RunConfig:
    """The default config writing into ``tmp`` (output and cache), with overrides."""
    base = [f"output.dir={tmp / 'reports'}", f"cache.dir={tmp / 'cache'}"]
    return load_config(config or ROOT / "configs" / "default.yaml", base + list(overrides))


@pytest.fixture(scope="session")
def session_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder shared by the session's runs, so they share the embedding cache."""
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(scope="session")
def sample_run(session_dir: Path):  # noqa: ANN201 (RunResult)
    """The default config (USE embeddings) on the shipped sample, run once per session."""
    from topics.pipeline import run_pipeline

    return run_pipeline(make_config(session_dir))
