"""Reading a config: YAML files (duplicate keys refused), dotted ``--set`` overrides, paths
resolved against the file's folder, and the key reference (``topics validate --explain``).

The schema itself is :mod:`topics.config.schema`; ``from topics.config import ...`` gives both.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel

from topics.config.schema import RunConfig, validate_config
from topics.errors import ConfigError

# --------------------------------------------------------------------------------------------
# Loading, overrides and error formatting


def _field_at(path: list[str]) -> Any:
    """The schema field at a dotted key path, or ``None`` when there is none."""
    model: Any = RunConfig
    field = None
    for part in path:
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return None
        field = fields[part]
        model = field.annotation
    return field


def _text_field(path: list[str]) -> tuple[bool, bool]:
    """``(is a plain string field, also accepts null)`` for the key at ``path``."""
    field = _field_at(path)
    annotation = getattr(field, "annotation", None)
    if annotation is str:
        return True, False
    if set(get_args(annotation)) == {str, type(None)}:
        return True, True
    return False, False


def parse_override(text: str, label: str = "--set") -> tuple[list[str], Any]:
    """Split ``"a.b=value"`` into a key path and a value.

    A string key keeps the text as given (``run.name=2024`` is the name "2024", not a number;
    a quoted JSON string is unquoted and ``null`` clears an optional one); any other key's
    value is parsed as JSON, else as YAML (``umap.n_neighbors=30``, ``corpus.paths=[a.jsonl]``).
    """
    if "=" not in text:
        raise ConfigError(f"{label} expects KEY=VALUE (e.g. umap.n_neighbors=30). Got '{text}'.")
    key, raw = text.split("=", 1)
    path = [part for part in key.strip().split(".")]
    if not key.strip() or any(not part for part in path):
        raise ConfigError(f"{label} expects a dotted key like umap.n_neighbors. Got '{key}'.")
    is_text, nullable = _text_field(path)
    if is_text:
        if nullable and raw == "null":
            return path, None
        if raw.startswith('"'):
            try:
                value = json.loads(raw)
            except json.JSONDecodeError:
                return path, raw
            return path, value if isinstance(value, str) else raw
        return path, raw
    try:
        return path, json.loads(raw)
    except json.JSONDecodeError:
        pass
    try:  # YAML flow syntax as in the config file: [a.jsonl, 'b c.csv'], {k: v}
        return path, yaml.safe_load(raw)
    except yaml.YAMLError:
        return path, raw


def apply_overrides(
    data: dict[str, Any], overrides: list[str], label: str = "--set"
) -> dict[str, Any]:
    """Return a copy of ``data`` with each ``KEY=VALUE`` override applied.

    ``label`` names where the overrides came from in error messages (``--set`` on the command
    line, ``sweep.yaml: grid`` in a sweep).
    """
    data = json.loads(json.dumps(data))  # deep copy of plain YAML data
    for text in overrides:
        path, value = parse_override(text, label)
        node = data
        for part in path[:-1]:
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                raise ConfigError(f"{label} {text}: '{part}' is not a section.")
            node = child
        node[path[-1]] = value
    return data


def override_origins(overrides: list[str], label: str = "--set") -> dict[tuple[str, ...], str]:
    """Key path → ``"<label> KEY=VALUE"`` for each override, so errors can name it."""
    origins: dict[tuple[str, ...], str] = {}
    for text in overrides:
        key = text.split("=", 1)[0].strip()
        origins.pop(tuple(key.split(".")), None)  # the last override of a key is the one used
        origins[tuple(key.split("."))] = f"{label} {text}"
    return origins


class _UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key written twice in one mapping.

    PyYAML keeps the last of two equal keys without a word, so a second ``umap:`` section
    would silently replace the first; a config is read by people who expect both to count.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        first_line: dict[str, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                continue
            line = key_node.start_mark.line + 1
            if key_node.value in first_line:
                raise ConfigError(
                    f"{self.name}:{line}: the key '{key_node.value}' appears twice in one "
                    f"section (first on line {first_line[key_node.value]}); keep one."
                )
            first_line[key_node.value] = line
        return super().construct_mapping(node, deep=deep)


def read_yaml(source: Path) -> Any:
    """The data of a YAML file (``{}`` when empty), or one :class:`ConfigError` naming the line.

    Safe loading (no Python objects), UTF-8 only, and a key written twice in one mapping is an
    error rather than PyYAML's silent "last one wins".
    """
    try:
        text = source.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{source}: not UTF-8 text.") from None
    loader = _UniqueKeyLoader(text)
    loader.name = str(source)
    try:
        return loader.get_single_data() or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ConfigError(f"{source}{line}: not valid YAML ({problem}).") from None
    finally:
        loader.dispose()


def load_config(
    path: str | Path | None, overrides: list[str] | None = None, label: str = "--set"
) -> RunConfig:
    """Read a YAML config (:func:`read_yaml`), apply ``KEY=VALUE`` overrides and validate.

    Relative ``corpus.paths`` and ``embedding.path`` are resolved against the config file's
    folder so a config works from any working directory. ``label`` names the overrides in
    error messages (``--set`` on the command line).
    """
    source = Path(path) if path is not None else None
    data: Any = {}
    if source is not None:
        if source.is_dir():
            raise ConfigError(f"Config file '{source}' is a folder; give the YAML file in it.")
        if not source.is_file():
            raise ConfigError(f"Config file '{source}' does not exist.")
        data = read_yaml(source)
        if not isinstance(data, dict):
            raise ConfigError(
                f"{source}: expected a mapping of sections, got {type(data).__name__}."
            )
    overrides = list(overrides or [])
    data = apply_overrides(data, overrides, label)
    config = validate_config(data, source, override_origins(overrides, label))
    if source is not None:
        config = resolve_paths(config, source.parent)
    return config


def resolve_paths(config: RunConfig, base: Path) -> RunConfig:
    """Make corpus/embedding input paths relative to ``base`` (the config's folder) absolute."""

    def resolve(value: str) -> str:
        candidate = Path(value).expanduser()
        if candidate.is_absolute():
            return str(candidate)
        # Prefer the config-relative path; fall back to CWD-relative for configs kept elsewhere.
        relative = base / candidate
        if not relative.exists() and candidate.exists():
            return str(candidate)
        return str(relative)

    corpus = config.corpus.model_copy(update={"paths": [resolve(p) for p in config.corpus.paths]})
    embedding = config.embedding
    if embedding.path:
        embedding = embedding.model_copy(update={"path": resolve(embedding.path)})
    return config.model_copy(update={"corpus": corpus, "embedding": embedding})


def explain(model: type[BaseModel] = RunConfig, prefix: str = "") -> list[tuple[str, str, str]]:
    """Return ``(dotted key, default, description)`` for every config key, in schema order."""
    rows: list[tuple[str, str, str]] = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            rows.extend(explain(annotation, f"{key}."))
            continue
        default = field.get_default(call_default_factory=True)
        description = field.description or ""
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        if "registry" in extra:
            from topics import registry

            choices = [*extra.get("also", []), *getattr(registry, extra["registry"]).names()]
            description += f" Choices: {', '.join(choices)}."
        rows.append((key, json.dumps(default, ensure_ascii=False), description))
    return rows
