"""Config validation: one test per kind of error, plus overrides and --explain coverage."""

from __future__ import annotations

from pathlib import Path

import pytest

from topics.config import RunConfig, apply_overrides, explain, load_config
from topics.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_validate() -> None:
    config = load_config(None)
    assert config.embedding.backend == "use"
    assert config.hdbscan.min_cluster_size == "auto"


def test_unknown_key_names_path_line_and_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, "run:\n  name: x\numap:\n  n_neighbours: 3\n")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = str(error.value)
    assert f"{path}:4" in message
    assert "umap.n_neighbours" in message
    assert "Did you mean 'umap.n_neighbors'" in message


def test_unknown_section_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "umapp:\n  n_neighbors: 3\n")
    with pytest.raises(ConfigError, match=r"Unknown key 'umapp'.*Did you mean 'umap'"):
        load_config(path)


def test_out_of_range_value_names_bound_and_value(tmp_path: Path) -> None:
    path = write(tmp_path, "umap:\n  n_neighbors: 1\n")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = str(error.value)
    assert "'umap.n_neighbors'" in message and "≥ 2" in message and "Got 1 instead" in message
    assert f"{path}:2" in message


def test_wrong_type_names_expected_type(tmp_path: Path) -> None:
    path = write(tmp_path, "run:\n  seed: lots\n")
    with pytest.raises(ConfigError, match=r"'run.seed'.*an int.*Got 'lots' instead"):
        load_config(path)


def test_bad_choice_lists_allowed_values() -> None:
    with pytest.raises(ConfigError, match=r"'topics.representation'.*'ctfidf'.*Got 'lda'"):
        load_config(None, ["topics.representation=lda"])


def test_min_cluster_size_accepts_auto_or_int() -> None:
    assert load_config(None, ["hdbscan.min_cluster_size=12"]).hdbscan.min_cluster_size == 12
    with pytest.raises(ConfigError, match="'hdbscan.min_cluster_size'"):
        load_config(None, ["hdbscan.min_cluster_size=1"])


def test_invalid_yaml_reports_line(tmp_path: Path) -> None:
    path = write(tmp_path, "run:\n  name: [unclosed\n")
    with pytest.raises(ConfigError, match=rf"{path}:\d+: not valid YAML"):
        load_config(path)


def test_yaml_tags_are_not_executed(tmp_path: Path) -> None:
    path = write(tmp_path, "run: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(path)


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_config(write(tmp_path, "- a\n- b\n"))


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")


def test_overrides_parse_json_and_create_sections() -> None:
    config = load_config(None, ['corpus.paths=["a.jsonl", "b.csv"]', "umap.n_neighbors=30"])
    assert config.corpus.paths == ["a.jsonl", "b.csv"]
    assert config.umap.n_neighbors == 30
    assert apply_overrides({}, ["run.name=x"]) == {"run": {"name": "x"}}


def test_override_needs_key_value() -> None:
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        load_config(None, ["umap.n_neighbors"])


def test_override_into_a_value_is_an_error() -> None:
    with pytest.raises(ConfigError, match="not a section"):
        apply_overrides({"run": {"name": "x"}}, ["run.name.first=y"])


def test_corpus_paths_resolve_relative_to_config(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    path = write(tmp_path, "corpus:\n  paths: [data]\n")
    assert load_config(path).corpus.paths == [str(tmp_path / "data")]


def test_every_key_is_documented() -> None:
    rows = explain()
    keys = {key for key, _, _ in rows}
    assert {
        "run.name",
        "run.seed",
        "corpus.paths",
        "corpus.fields.text",
        "embedding.backend",
        "output.dir",
    } <= keys
    undocumented = [key for key, _, description in rows if not description.strip()]
    assert undocumented == []


def test_config_is_frozen() -> None:
    config = RunConfig()
    with pytest.raises(Exception):  # noqa: B017 (pydantic raises ValidationError)
        config.run.seed = 3  # type: ignore[misc]


def test_readme_config_reference_is_current() -> None:
    """The README's config reference is generated from the schema; it must not drift."""
    import importlib.util

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location(
        "config_reference", root / "scripts" / "config_reference.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    readme = (root / "README.md").read_text("utf-8")
    assert module.table() in readme, "run: uv run python scripts/config_reference.py"
    assert all(f"`{key}`" in readme for key, _, _ in explain())
