"""The command line as a user meets it: exit codes, one-line errors, the printed run folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import CLI, ROOT, assert_one_line_error
from tests.conftest import topics_cli as topics

# Real runs in subprocesses or on real corpora: the whole suite has them, `-m "not slow"` not.
pytestmark = pytest.mark.slow


def test_validate_accepts_shipped_configs() -> None:
    for config in sorted((ROOT / "configs").glob("*.yaml")):
        result = topics("validate", str(config))
        assert result.returncode == 0, (config, result.stderr)


def test_validate_rejects_unknown_key_in_one_line(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("hdbscan:\n  min_cluster_sise: 5\n", encoding="utf-8")
    assert_one_line_error(topics("validate", str(config)), f"{config}:2", "min_cluster_size")


def test_set_override_error_names_key() -> None:
    result = topics("validate", "configs/default.yaml", "--set", "umap.n_neighbors=1")
    assert_one_line_error(result, "error: --set umap.n_neighbors=1: ", "≥ 2", "Got 1")


def test_set_keeps_strings_for_string_keys(tmp_path: Path) -> None:
    """--set run.name=2024 used to fail with "must be a string"."""
    result = topics(
        "validate",
        "configs/default.yaml",
        "--set",
        "run.name=2024",
        "--set",
        f"output.dir={tmp_path}",
        "--set",
        f"cache.dir={tmp_path}",
    )
    assert result.returncode == 0, result.stderr


def in_process(*args: str) -> subprocess.CompletedProcess[str]:
    """The CLI in this process (typer's runner): same code path, without re-importing numba."""
    from typer.testing import CliRunner

    from topics.cli import app

    result = CliRunner().invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def test_metric_typo_is_one_line_before_any_work(tmp_path: Path) -> None:
    result = in_process(
        "run",
        "configs/default.yaml",
        "--set",
        "umap.metric=cosin",
        "--set",
        f"output.dir={tmp_path / 'out'}",
        "--set",
        f"cache.dir={tmp_path / 'cache'}",
    )
    line = assert_one_line_error(result, "--set umap.metric=cosin: The 'umap.metric' parameter")
    assert line.endswith("Got 'cosin' instead. Did you mean 'cosine'?")
    assert not any(tmp_path.iterdir()), "nothing may be embedded or written"


def test_unknown_backend_is_a_config_error() -> None:
    result = topics("validate", "configs/default.yaml", "--set", "embedding.backend=bert")
    assert_one_line_error(result, "embedding.backend", "'bert'")


def test_run_with_missing_corpus_exits_2(tmp_path: Path) -> None:
    result = topics(
        "run",
        "configs/default.yaml",
        "--set",
        f'corpus.paths=["{tmp_path}/nothing-here.jsonl"]',
        "--set",
        f"output.dir={tmp_path}",
    )
    assert_one_line_error(result, "nothing-here.jsonl")
    assert not any(tmp_path.iterdir())


def test_run_with_broken_jsonl_names_file_and_line(tmp_path: Path) -> None:
    corpus = tmp_path / "broken.jsonl"
    corpus.write_text('{"abstract": "fine text about graphs and networks"}\n{oops\n', "utf-8")
    result = topics(
        "run",
        "configs/default.yaml",
        "--set",
        f'corpus.paths=["{corpus}"]',
        "--set",
        f"output.dir={tmp_path / 'out'}",
    )
    assert_one_line_error(result, f"{corpus}:2")


def test_explain_lists_every_section() -> None:
    result = topics("validate", "--explain")
    assert result.returncode == 0
    for key in [
        "run.seed",
        "corpus.fields.text",
        "embedding.backend",
        "umap.n_neighbors",
        "hdbscan.min_cluster_size",
        "topics.outliers.strategy",
        "output.dir",
    ]:
        assert key in result.stdout


def test_init_writes_a_valid_starter(tmp_path: Path) -> None:
    """The starter validates once its corpus folder holds abstracts (validate checks paths)."""
    target = tmp_path / "mine.yaml"
    assert topics("init", str(target)).returncode == 0
    assert "corpus:" in target.read_text("utf-8")
    assert_one_line_error(
        topics("validate", str(target), cwd=tmp_path),
        f"{target}:",
        f"corpus.paths: '{tmp_path / 'abstracts'}' does not exist",
    )
    (tmp_path / "abstracts").mkdir()
    (tmp_path / "abstracts" / "a.jsonl").write_text('{"abstract": "text"}\n', "utf-8")
    result = topics("validate", str(target), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert_one_line_error(topics("init", str(target)), "already exists")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["abstracts", "mine.yaml"]


def test_help_for_every_command() -> None:
    for command in ["run", "validate", "init", "report", "open", "sweep"]:
        result = topics(command, "--help")
        assert result.returncode == 0 and "Usage" in result.stdout, command


@pytest.mark.usefixtures("sample_run")
def test_run_prints_run_folder_last(session_dir: Path) -> None:
    """Re-running the default config reuses the session's cache and prints the folder last."""
    result = topics(
        "run",
        "configs/default.yaml",
        "--quiet",
        "--set",
        "run.name=cli",
        "--set",
        f"output.dir={session_dir / 'reports'}",
        "--set",
        f"cache.dir={session_dir / 'cache'}",
    )
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert Path(last) == session_dir / "reports" / "cli"
    assert (Path(last) / "index.html").is_file()


def test_report_rebuilds_page_without_refitting(sample_run, tmp_path: Path) -> None:
    # A copy: the session's sample run is shared by other tests and must keep its page.
    run_dir = tmp_path / "run"
    shutil.copytree(sample_run.run_dir, run_dir)
    page = run_dir / "index.html"
    page.unlink()
    result = topics("report", str(run_dir))
    assert result.returncode == 0, result.stderr
    assert page.is_file() and page.stat().st_size > 100_000
    assert result.stdout.strip().splitlines()[-1] == str(page)
    assert (sample_run.run_dir / "index.html").is_file()


def test_open_without_browser_prints_the_page(sample_run) -> None:
    env = {
        k: v for k, v in os.environ.items() if k not in {"DISPLAY", "BROWSER", "WAYLAND_DISPLAY"}
    }
    result = subprocess.run(
        [*CLI, "open", str(sample_run.run_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (
        Path(result.stdout.strip().splitlines()[-1])
        == (sample_run.run_dir / "index.html").resolve()
    )


def test_report_on_non_run_folder_is_an_error(tmp_path: Path) -> None:
    assert_one_line_error(topics("report", str(tmp_path)), "not a run folder")


def test_run_with_cache_disabled_writes_no_cache(tmp_path: Path) -> None:
    """``cache.enabled: false``: a complete run, and the cache folder is never created."""
    cache = tmp_path / "cache"
    result = in_process(
        "run",
        "configs/default.yaml",
        "--quiet",
        "--set",
        "cache.enabled=false",
        "--set",
        f"cache.dir={cache}",
        "--set",
        f"output.dir={tmp_path / 'out'}",
        "--set",
        "output.report=false",
    )
    assert result.returncode == 0, result.stderr
    run_dir = Path(result.stdout.strip().splitlines()[-1])
    assert run_dir == tmp_path / "out" / "default"
    manifest = json.loads((run_dir / "manifest.json").read_text("utf-8"))
    assert manifest["counts"]["documents"] == 54
    assert manifest["cache"]["embeddings"] == manifest["cache"]["umap"] == "miss"
    assert manifest["config"]["cache"]["enabled"] is False
    assert not cache.exists()
