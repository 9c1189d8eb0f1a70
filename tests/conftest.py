"""Shared fixtures: real runs of the real pipeline on the shipped sample corpus."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from topics.config import RunConfig, load_config

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
DATA = Path(__file__).resolve().parent / "data"
CLI = [sys.executable, "-m", "topics"]


def topics_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """The real ``topics`` command in a subprocess (wide, uncoloured output)."""
    env = os.environ | {"COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [*CLI, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=600
    )


def assert_one_line_error(result: Any, *fragments: str) -> str:
    """A user error as the CLI shows it: exit 2, no traceback, one line holding ``fragments``.

    ``result`` is a finished subprocess or a typer ``CliRunner`` result; stage lines that
    finished before the error ("✓ load …") are progress, not part of the error.
    """
    code = getattr(result, "returncode", None)
    code = result.exit_code if code is None else code
    stderr = result.stderr
    assert code == 2, (code, stderr[-3000:], getattr(result, "exception", None))
    assert "Traceback" not in stderr + (result.stdout or ""), stderr[-3000:]
    lines = [line for line in stderr.splitlines() if line.strip() and "✓" not in line]
    assert len(lines) == 1, stderr
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    return lines[0]


def folder_digest(folder: Path) -> dict[str, str]:
    """Relative path → content hash of every file under ``folder``."""
    return {
        str(path.relative_to(folder)): hashlib.blake2b(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


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


def read_jsonl_gz(path: Path) -> list[dict]:
    """The records of a gzip-compressed JSON Lines file under ``tests/data``."""
    import gzip
    import json

    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def held_out_pairs() -> list[dict]:
    """The 200 held-out ChinaXiv pairs (``id, zh, en, label``), never trained on."""
    return read_jsonl_gz(HELD_OUT_PAIRS)


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
