"""One readable line per invalid config value, in scikit-learn's shape.

"``config.yaml:4: The 'umap.n_neighbors' parameter must be an int ≥ 2. Got 1 instead.``" The
prefix says where the value came from: the YAML file's line, or the ``--set KEY=VALUE`` that
gave it (an override wins over the file, so naming the file's line would send the user to the
wrong place).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from topics.common import did_you_mean

#: Key path (as given in an override) → how the user gave it, e.g. ``"--set run.seed=x"``.
Origins = Mapping[tuple[str, ...], str]

_BOUNDS = {
    "greater_than_equal": ("ge", "≥"),
    "greater_than": ("gt", ">"),
    "less_than_equal": ("le", "≤"),
    "less_than": ("lt", "<"),
}
_TYPES = {
    "int": "an int",
    "float": "a number",
    "bool": "true or false",
    "str": "a string",
    "string": "a string",  # pydantic's error type for a str field is "string_type"
    "list": "a list",
    "dict": "a mapping",
}


def line_of(path: Path | None, keys: tuple[Any, ...]) -> str:
    """Best-effort ``"file:line: "`` of a dotted key in a YAML file (``""`` without a file)."""
    if path is None or not path.exists():
        return ""
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"))
    except yaml.YAMLError:
        return f"{path}: "
    line = None
    for key in keys:
        if isinstance(node, yaml.MappingNode):
            match = next((kv for kv in node.value if kv[0].value == str(key)), None)
            if match is None:
                break
            line = match[0].start_mark.line + 1
            node = match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            break
    return f"{path}:{line}: " if line else f"{path}: "


def where(loc: tuple[Any, ...], source: Path | None, origins: Origins | None) -> str:
    """Message prefix for a value at ``loc``: the override that set it, else the file's line.

    An override counts when its key path and ``loc`` share a prefix: ``--set umap.metric=x``
    explains an error at ``umap.metric``, and ``--set corpus.paths=[1]`` one at
    ``corpus.paths.0``. The last matching override wins, as it does when overrides apply.
    """
    keys = tuple(str(part) for part in loc)
    for path, origin in reversed(list((origins or {}).items())):
        shared = min(len(path), len(keys))
        if shared and path[:shared] == keys[:shared]:
            return f"{origin}: "
    return line_of(source, loc)


def plain_loc(error: Mapping[str, Any]) -> tuple[Any, ...]:
    """An error's location without pydantic's union-branch tags (``int``, ``literal[...]``)."""
    return tuple(
        p
        for p in error["loc"]
        if not str(p).startswith(("int", "literal", "float", "function-after"))
    )


def allowed_keys(model: type[BaseModel], keys: tuple[Any, ...]) -> list[str]:
    """The valid keys of the section at ``keys`` (used to suggest a fix for a typo)."""
    for key in keys:
        field = model.model_fields.get(str(key))
        annotation = getattr(field, "annotation", None) if field else None
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
        else:
            return []
    return list(model.model_fields)


def kind_of(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """A readable name for the type of the field at ``loc`` (e.g. "an int")."""
    current: Any = model
    annotation: Any = None
    for key in loc:
        field = getattr(current, "model_fields", {}).get(str(key))
        if field is None:
            break
        annotation = field.annotation
        current = annotation
    text = str(annotation) if annotation is not None else ""
    for name, readable in _TYPES.items():
        if (
            text == f"<class '{name}'>"
            or text.startswith(f"{name} |")
            or text.startswith(name + "[")
        ):
            return readable
    return "a value"


def expected(kind: str, ctx: Mapping[str, Any], message: str, type_name: str) -> str:
    """scikit-learn-style description of what a parameter accepts."""
    if kind in _BOUNDS:
        name, sign = _BOUNDS[kind]
        return f"{type_name} {sign} {ctx.get(name)}"
    if kind in {"literal_error", "unknown_choice"}:
        return f"one of {ctx.get('expected')}"
    if kind.endswith(("_parsing", "_type")):
        return _TYPES.get(kind.split("_")[0], type_name)
    if kind == "string_too_short":
        return f"a string of at least {ctx.get('min_length')} character(s)"
    if kind == "too_short":
        return f"a list of at least {ctx.get('min_length')} item(s)"
    if kind == "string_pattern_mismatch":
        return f"a string matching {ctx.get('pattern')}"
    if message.startswith("Value error, "):
        return message[len("Value error, ") :].removeprefix("must be ")
    return message[0].lower() + message[1:]


def describe(
    model: type[BaseModel],
    details: list[Any],
    source: Path | None,
    origins: Origins | None = None,
) -> str:
    """One line for the first error of a pydantic ``ValidationError.errors()`` list.

    Pydantic reports one error per union branch (``int | "auto"``): those are merged into one
    "must be an int ≥ 2 or 'auto'".
    """
    first = details[0]
    loc = plain_loc(first)
    dotted = ".".join(str(part) for part in loc)
    prefix = where(loc, source, origins)
    given = first.get("input")
    if first["type"] == "extra_forbidden":
        allowed = allowed_keys(model, loc[:-1])
        # The hint names the whole dotted key: " Did you mean 'hdbscan.min_cluster_size'?"
        parent = "".join(f"{part}." for part in loc[:-1])
        hint = did_you_mean(loc[-1], allowed).replace(" '", f" '{parent}", 1)
        return f"{prefix}Unknown key '{dotted}'.{hint} Valid keys here: {', '.join(allowed)}."
    branches = [d for d in details if plain_loc(d) == loc]
    accepts = " or ".join(
        expected(d["type"], d.get("ctx") or {}, d["msg"], kind_of(model, loc)) for d in branches
    )
    hint = (first.get("ctx") or {}).get("hint", "")
    return f"{prefix}The '{dotted}' parameter must be {accepts}. Got {given!r} instead.{hint}"
