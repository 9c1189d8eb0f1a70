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


HELD_OUT_PAIRS = DATA / "crosslingual" / "chinaxiv_pairs_heldout_200.jsonl.gz"


def held_out_pairs() -> list[dict]:
    """The 200 held-out ChinaXiv pairs (``id, zh, en, label``), never trained on."""
    import gzip
    import json

    with gzip.open(HELD_OUT_PAIRS, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def write_documents(path: Path, records: list[dict]) -> Path:
    """Write ``records`` as JSON Lines (UTF-8) and return ``path``."""
    import json

    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def pair_documents(pairs: list[dict]) -> list[dict]:
    """Both sides of each pair as documents with ids ``<pair id>#zh`` / ``#en``."""
    return [
        {"id": f"{pair['id']}#{lang}", "abstract": pair[lang]}
        for pair in pairs
        for lang in ("zh", "en")
    ]
