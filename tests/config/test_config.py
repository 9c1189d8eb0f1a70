"""Config validation: one test per kind of error, plus overrides and --explain coverage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from topics.config import RunConfig, apply_overrides, explain, load_config, override_origins
from topics.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_validate() -> None:
    config = load_config(None)
    assert config.embedding.backend == "use"
    assert config.hdbscan.min_cluster_size == "auto"
    assert config.topics.outliers.strategy == "embeddings"


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


@pytest.mark.parametrize(
    ("key", "registry_name", "also", "typo", "hint"),
    [
        ("corpus.format", "readers", ["auto"], "jsnl", "jsonl"),
        ("topics.representation", "representations", [], "keybrt", "keybert"),
    ],
)
def test_registry_choices_come_from_the_registry(
    tmp_path: Path, key: str, registry_name: str, also: list[str], typo: str, hint: str
) -> None:
    """corpus.format / topics.representation are checked against their registries, not Literals."""
    from topics import registry

    section, name = key.split(".")
    path = write(tmp_path, f"{section}:\n  {name}: {typo}\n")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    choices = [*also, *getattr(registry, registry_name).names()]
    assert str(error.value) == (
        f"{path}:2: The '{key}' parameter must be one of {choices}. Got '{typo}' instead. "
        f"Did you mean '{hint}'?"
    )
    for choice in choices:  # every registered name is accepted
        assert getattr(getattr(load_config(None, [f"{key}={choice}"]), section), name) == choice
    described = {k: d for k, _, d in explain()}[key]
    assert described.endswith(f"Choices: {', '.join(choices)}.")


def test_schema_defaults_are_the_tuned_preset(tmp_path: Path) -> None:
    """A config holding only corpus.paths is the default preset (31% vs 0% outliers before)."""
    root = Path(__file__).resolve().parents[2]
    minimal = write(tmp_path, f"corpus:\n  paths: [{root / 'data' / 'sample'}]\n")
    mine = load_config(minimal).model_dump(mode="json")
    preset = load_config(root / "configs" / "default.yaml").model_dump(mode="json")
    assert Path(preset["corpus"]["paths"][0]).resolve() == Path(mine["corpus"]["paths"][0])
    for data in (mine, preset):
        del data["run"]["name"], data["corpus"]["paths"]
    assert mine == preset
    assert mine["hdbscan"]["min_samples"] == 3
    assert mine["hdbscan"]["cluster_selection_method"] == "leaf"
    assert mine["topics"]["outliers"]["strategy"] == "embeddings"


def _leaves(data: dict, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in data.items():
        if isinstance(value, dict) and value:
            out |= _leaves(value, f"{prefix}{key}.")
        else:
            out[f"{prefix}{key}"] = value
    return out


@pytest.mark.parametrize("name", ["configs/default.yaml", "configs/fast.yaml", "starter"])
def test_presets_state_only_what_differs_from_the_schema(name: str) -> None:
    import yaml

    root = Path(__file__).resolve().parents[2]
    path = root / "topics" / "starter.yaml" if name == "starter" else root / name
    stated = _leaves(yaml.safe_load(path.read_text("utf-8")))
    defaults = {key: json.loads(default) for key, default, _ in explain()}
    same = [
        k for k, v in stated.items() if k not in {"run.name", "corpus.paths"} and v == defaults[k]
    ]
    assert same == [], f"{name} restates schema defaults: {same}"


def test_preset_comments_quote_only_figures_of_the_results_they_name() -> None:
    """A measured figure in a preset's comments (a decimal or a percentage) must appear in a
    bench/results file the preset names; better, the comment links there instead."""
    import re

    root = Path(__file__).resolve().parents[2]
    for path in sorted((root / "configs").glob("*.yaml")):
        comments = " ".join(
            line.split("#", 1)[1] for line in path.read_text("utf-8").splitlines() if "#" in line
        )
        named = re.findall(r"bench/results/[\w.-]+\.md", comments)
        assert all((root / name).is_file() for name in named), (path, named)
        results = " ".join((root / name).read_text("utf-8") for name in named)
        for figure in re.findall(r"\d*\.\d+|\d+(?:\.\d+)?%", comments):
            assert figure in results, f"{path.name}: {figure} is in none of {named}"


def test_string_override_stays_a_string() -> None:
    """--set run.name=2024 is the name "2024" (it used to fail: "must be a string")."""
    config = load_config(None, ["run.name=2024", "output.dir=123", "embedding.path=7.npy"])
    assert config.run.name == "2024"
    assert config.output.dir == "123"
    assert config.embedding.path == "7.npy"
    assert load_config(None, ['run.name="quoted"']).run.name == "quoted"
    assert load_config(None, ["embedding.model=x", "embedding.model=null"]).embedding.model is None
    # Other keys still parse as JSON.
    assert load_config(None, ["run.seed=7"]).run.seed == 7
    assert load_config(None, ["cache.enabled=false"]).cache.enabled is False
    assert load_config(None, ['embedding.components=["use"]']).embedding.components == ["use"]
    # ... or as YAML flow syntax, as the user would write it in the file.
    config = load_config(None, ["corpus.paths=[a.jsonl, 'b c.csv']", "umap.min_dist=1e-3"])
    assert config.corpus.paths == ["a.jsonl", "b c.csv"]
    assert config.umap.min_dist == 0.001


def test_override_error_names_the_override_not_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "run:\n  seed: 3\numap:\n  n_neighbors: 10\n")
    with pytest.raises(ConfigError) as error:
        load_config(path, ["umap.n_neighbors=1"])
    assert str(error.value) == (
        "--set umap.n_neighbors=1: The 'umap.n_neighbors' parameter must be an int ≥ 2 or "
        "'auto'. Got 1 instead."
    )
    # A bad value in the file still names the file's line, even with unrelated overrides.
    bad = tmp_path / "bad.yaml"
    bad.write_text("run:\n  seed: lots\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"^{bad}:2: The 'run.seed' parameter"):
        load_config(bad, ["umap.n_neighbors=12"])
    with pytest.raises(ConfigError, match=r"^--set corpus.paths=\[1\]: .*must be a string"):
        load_config(path, ["corpus.paths=[1]"])


def test_metric_typos_are_config_errors_with_a_hint(tmp_path: Path) -> None:
    """umap.metric / hdbscan.metric typos fail before any work (preflight, which every run,
    validate and sweep trial passes), not inside the library later; the schema itself imports
    no library."""
    from topics.preflight import check_metrics

    def check(source: Path | None, overrides: list[str]) -> RunConfig:
        config = load_config(source, overrides)
        check_metrics(config, source, override_origins(overrides))
        return config

    path = write(tmp_path, "umap:\n  metric: cosin\n")
    assert load_config(path).umap.metric == "cosin"  # the schema takes any name
    with pytest.raises(ConfigError) as error:
        check(path, [])
    message = str(error.value)
    assert message.startswith(f"{path}:2: The 'umap.metric' parameter must be one of the metrics")
    assert message.endswith("Got 'cosin' instead. Did you mean 'cosine'?")
    assert "'manhattan'" in message and "\n" not in message
    with pytest.raises(ConfigError) as error:
        check(None, ["hdbscan.metric=euclidian"])
    assert str(error.value).startswith("--set hdbscan.metric=euclidian: The 'hdbscan.metric'")
    assert str(error.value).endswith("Did you mean 'euclidean'?")
    # hdbscan refuses cosine with prediction data (the stage asks for it): caught here too.
    with pytest.raises(ConfigError, match="'hdbscan.metric'.*Got 'cosine'"):
        check(None, ["hdbscan.metric=cosine"])
    accepted = check(None, ["umap.metric=manhattan", "hdbscan.metric=manhattan"])
    assert (accepted.umap.metric, accepted.hdbscan.metric) == ("manhattan", "manhattan")


def test_default_metrics_are_accepted_by_the_libraries() -> None:
    """The defaults skip the (slow) library lookup, so check them against the libraries here."""
    from topics.config import HdbscanSection, UmapSection
    from topics.preflight import hdbscan_metric_problem, umap_metric_problem

    assert umap_metric_problem(UmapSection().metric) is None
    assert hdbscan_metric_problem(HdbscanSection().metric, UmapSection().n_components) is None


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


def test_a_key_written_twice_is_an_error_naming_both_lines(tmp_path: Path) -> None:
    # PyYAML alone keeps the last one: this config would have run as name 'b'.
    path = write(tmp_path, "run:\n  name: a\numap:\n  n_neighbors: 5\nrun:\n  name: b\n")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert str(raised.value) == (
        f"{path}:5: the key 'run' appears twice in one section (first on line 1); keep one."
    )
    nested = write(tmp_path, "umap:\n  n_neighbors: 5\n  min_dist: 0.1\n  n_neighbors: 9\n")
    with pytest.raises(ConfigError, match=r":4: the key 'n_neighbors' appears twice.*line 2"):
        load_config(nested)


def test_yaml_merge_keys_are_not_duplicates(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "run:\n  name: x\n  <<: {seed: 3}\n"))
    assert (config.run.name, config.run.seed) == ("x", 3)


def test_a_section_with_every_key_commented_out_takes_its_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "umap:\n#  n_neighbors: 30\nrun:\n  name: x\n"))
    assert config.umap == RunConfig().umap
    assert config.run.name == "x"


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_config(write(tmp_path, "- a\n- b\n"))


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match=f"'{tmp_path}' is a folder; give the YAML file"):
        load_config(tmp_path)


def test_empty_run_name_says_how_long_it_must_be() -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(None, ["run.name="])
    assert str(raised.value) == (
        "--set run.name=: The 'run.name' parameter must be a string of at least 1 character(s). "
        "Got '' instead."
    )


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

    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location(
        "config_reference", root / "scripts" / "config_reference.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    readme = (root / "README.md").read_text("utf-8")
    assert module.table() in readme, "run: uv run python scripts/config_reference.py"
    assert all(f"`{key}`" in readme for key, _, _ in explain())
