"""Preflight: a config that cannot run fails in ``topics validate`` and at the start of a run.

Each case goes through the real command (typer's runner, in-process) and must exit 2 with one
line on stderr that names the problem, no traceback, and nothing left on disk.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import ROOT, SAMPLE, assert_one_line_error
from topics.cli import app
from topics.config import load_config
from topics.embed import make_embedder
from topics.errors import ConfigError, InputError
from topics.preflight import check_writable_dir, preflight
from topics.registry import CAPABILITIES, capable, part_with

FAST = str(ROOT / "configs" / "fast.yaml")


def validate(tmp_path: Path, *overrides: str, config: str = FAST):  # noqa: ANN201
    """``topics validate CONFIG --set ...`` with output and cache folders under ``tmp_path``."""
    args = ["validate", config]
    for override in (
        f"output.dir={tmp_path / 'out'}",
        f"cache.dir={tmp_path / 'cache'}",
        *overrides,
    ):
        args += ["--set", override]
    return CliRunner().invoke(app, args)


def test_shipped_configs_pass_and_leave_nothing_behind(tmp_path: Path) -> None:
    for config in sorted((ROOT / "configs").glob("*.yaml")):
        result = validate(tmp_path, config=str(config))
        assert result.exit_code == 0, (config, result.stderr)
    assert list(tmp_path.iterdir()) == [], "preflight created folders or files"


def test_combined_weights_must_match_components(tmp_path: Path) -> None:
    assert_one_line_error(
        validate(tmp_path, "embedding.backend=combined", "embedding.weights=[1]"),
        "--set embedding.weights=[1]:",
        "'embedding.weights'",
        "one weight per component",
    )


def test_combined_unknown_component(tmp_path: Path) -> None:
    assert_one_line_error(
        validate(tmp_path, "embedding.backend=combined", 'embedding.components=["use","tfdf"]'),
        "'embedding.components'",
        "'tfdf'",
    )


def test_unknown_backend_suggests_a_name(tmp_path: Path) -> None:
    line = assert_one_line_error(validate(tmp_path, "embedding.backend=statc"))
    assert line.endswith("Got 'statc' instead. Did you mean 'static'?")
    assert "--set embedding.backend=statc:" in line


def test_precomputed_needs_a_path(tmp_path: Path) -> None:
    assert_one_line_error(
        validate(tmp_path, "embedding.backend=precomputed"), "'embedding.path'", "is required"
    )


def test_precomputed_file_must_exist(tmp_path: Path) -> None:
    missing = tmp_path / "vectors.npy"
    assert_one_line_error(
        validate(tmp_path, "embedding.backend=precomputed", f"embedding.path={missing}"),
        f"'{missing}' does not exist",
    )


@pytest.mark.skipif(
    importlib.util.find_spec("sentence_transformers") is not None,
    reason="the extra is installed here",
)
def test_sentence_transformers_without_the_extra_names_it(tmp_path: Path) -> None:
    assert_one_line_error(
        validate(tmp_path, "embedding.backend=sentence-transformers", "embedding.model=x"),
        "pip install 'topics[transformers]'",
    )


def test_sentence_transformers_model_must_be_on_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Neither a local folder nor in the hub cache: refused without any download attempt."""
    from topics.embed.transformers import SentenceTransformerEmbedder

    cache = tmp_path / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    with pytest.raises(ConfigError, match=r"'embedding.model'.*Got 'all-MiniLM-L6-v2' instead"):
        SentenceTransformerEmbedder("all-MiniLM-L6-v2").check_available()
    # In the hub cache (sentence-transformers looks bare names up under its organisation).
    refs = cache / "models--sentence-transformers--all-MiniLM-L6-v2" / "refs"
    refs.mkdir(parents=True)
    (refs / "main").write_text("0123abcd", encoding="utf-8")
    SentenceTransformerEmbedder("all-MiniLM-L6-v2").check_available()
    # A local folder.
    SentenceTransformerEmbedder(str(tmp_path)).check_available()


def test_translation_dedup_needs_use_vectors(tmp_path: Path) -> None:
    """Used to fail only after the whole corpus was embedded (in mark_translations)."""
    assert_one_line_error(
        validate(tmp_path, "corpus.dedup=translations"),
        "--set corpus.dedup=translations:",
        "'corpus.dedup'",
        "needs USE vectors",
        "'distilled'",  # the fast preset's backend
    )
    ok = validate(
        tmp_path,
        "corpus.dedup=translations",
        "embedding.backend=combined",
        'embedding.components=["static","use"]',
    )
    assert ok.exit_code == 0, ok.stderr


def test_corpus_paths_must_exist(tmp_path: Path) -> None:
    missing = tmp_path / "abstracts"
    assert_one_line_error(
        validate(tmp_path, f'corpus.paths=["{missing}"]'), f"'{missing}' does not exist"
    )
    pattern = tmp_path / "*.jsonl"
    assert_one_line_error(
        validate(tmp_path, f'corpus.paths=["{SAMPLE}", "{pattern}"]'),
        f"'{pattern}' matches no readable files",
    )


def test_corpus_path_error_names_the_config_line(tmp_path: Path) -> None:
    config = tmp_path / "mine.yaml"
    config.write_text("run:\n  name: x\ncorpus:\n  paths: [nothing-here]\n", encoding="utf-8")
    line = assert_one_line_error(validate(tmp_path, config=str(config)), "nothing-here")
    assert f"{config}:4:" in line


@pytest.mark.parametrize("key", ["output.dir", "cache.dir"])
def test_folder_that_cannot_be_created(tmp_path: Path, key: str) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    assert_one_line_error(
        validate(tmp_path, f"{key}={blocker / 'sub'}"),
        f"The '{key}' parameter must be a folder that can be created",
        f"'{blocker}' is a file",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_disabled_cache_folder_is_not_checked(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    result = validate(tmp_path, f"cache.dir={blocker / 'sub'}", "cache.enabled=false")
    assert result.exit_code == 0, result.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_folder(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        with pytest.raises(ConfigError, match=r"'output.dir'.*'.*locked' is not writable"):
            check_writable_dir("output.dir", str(locked / "reports"))
    finally:
        locked.chmod(0o700)


def test_writable_check_leaves_nothing(tmp_path: Path) -> None:
    check_writable_dir("output.dir", str(tmp_path / "a" / "b"))
    check_writable_dir("output.dir", str(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_preflight_raises_input_error_without_a_config_file(tmp_path: Path) -> None:
    """Called by run_pipeline with no file: the message still names the key."""
    config = load_config(None, [f'corpus.paths=["{tmp_path / "none"}"]'])
    with pytest.raises(InputError, match=r"^corpus.paths: '.*none' does not exist"):
        preflight(config)


def test_capability_tags_replace_backend_names(tmp_path: Path) -> None:
    """Which backends give USE vectors / embed words is declared on the embedders."""
    config = load_config(
        None, ["embedding.backend=combined", 'embedding.components=["use","tfidf"]']
    )
    combined = make_embedder(config.embedding, tmp_path)
    use = part_with(combined, "use_vectors")
    assert use is combined.components[0] and use.name == "use"
    assert not capable(combined, "embeds_words") and capable(combined, "corpus_fitted")
    assert not capable(combined, "multilingual")
    both = make_embedder(
        load_config(
            None, ["embedding.backend=combined", 'embedding.components=["use","static"]']
        ).embedding,
        tmp_path,
    )
    assert capable(both, "embeds_words") and capable(both, "multilingual")
    assert part_with(both, "use_vectors") is both.components[0]
    static = make_embedder(load_config(None, ["embedding.backend=static"]).embedding, tmp_path)
    assert part_with(static, "use_vectors") is None and capable(static, "embeds_words")
    with pytest.raises(ValueError, match="unknown capability"):
        capable(static, "fast")
    assert not capable(static, "keeps_translations")  # measured: 33% of pairs in one topic
    assert not capable(combined, "keeps_translations") and capable(
        both.components[0], "keeps_translations"
    )
    assert set(CAPABILITIES) == {
        "multilingual",
        "keeps_translations",
        "embeds_words",
        "corpus_fitted",
        "use_vectors",
    }
