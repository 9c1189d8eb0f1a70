"""The sweep file: a base config, overrides, a search space over dotted keys, an objective."""

from __future__ import annotations

import itertools
import random
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from topics.config import (
    RunConfig,
    apply_overrides,
    load_config,
    override_origins,
    read_yaml,
    validate_config,
)
from topics.config_errors import describe, line_of
from topics.errors import ConfigError


class Constraint(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    min: float | None = Field(None, description="Smallest acceptable value.")
    max: float | None = Field(None, description="Largest acceptable value.")


def _known_metric(name: str, role: str = "value") -> str:
    """``name`` when a run's manifest can hold it (else every trial would rank as "missing").

    ``role`` is ``"value"`` for the objective's metric, ``"key"`` for a constraint's key.
    """
    from topics.common import did_you_mean
    from topics.evaluate.metrics import METRIC_NAMES

    if name in METRIC_NAMES:
        return name
    context = {"expected": list(METRIC_NAMES), "hint": did_you_mean(name, list(METRIC_NAMES))}
    if role == "value":
        raise PydanticCustomError("unknown_choice", "must be one of {expected}", context)
    raise PydanticCustomError(
        "metric_keys",
        "keyed by metric names ({names}); '{name}' is not one",
        context | {"names": ", ".join(METRIC_NAMES), "name": name},
    )


class Objective(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    metric: str = Field(
        "npmi",
        description="Metric from manifest.metrics to optimise (npmi, diversity, nmi_all, ...).",
    )
    direction: Literal["maximize", "minimize"] = Field("maximize", description="Direction.")
    constraints: dict[str, Constraint] = Field(
        default_factory=lambda: {
            "outlier_share": Constraint(max=0.3),
            "topics": Constraint(min=2),
        },
        description="Trials violating a bound are ranked after every trial that meets them all.",
    )

    @field_validator("metric")
    @classmethod
    def _metric(cls, value: str) -> str:
        return _known_metric(value)

    @field_validator("constraints")
    @classmethod
    def _constrained_metrics(cls, value: dict[str, Constraint]) -> dict[str, Constraint]:
        for name in value:
            _known_metric(name, role="key")
        return value


class SweepSpec(BaseModel):
    """A parameter sweep over one base config."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field("sweep", pattern=r"^[A-Za-z0-9._-]+$", description="Sweep folder name.")
    base: str = Field(..., description="Base config file, relative to the sweep file.")
    set: dict[str, Any] = Field(default_factory=dict, description="Overrides for every trial.")
    grid: dict[str, list[Any]] = Field(..., description="Dotted key → values to try.")
    search: Literal["grid", "random"] = Field("grid", description="Full grid or random sample.")
    samples: int = Field(10, ge=1, description="random: how many settings to draw.")
    seed: int = Field(0, ge=0, description="random: sampling seed.")
    objective: Objective = Field(default_factory=Objective, description="What 'best' means.")
    report: bool = Field(
        True, description="Write each trial's index.html (linked from sweep.html)."
    )

    @field_validator("grid")
    @classmethod
    def _values_to_try(cls, value: dict[str, list[Any]]) -> dict[str, list[Any]]:
        if not value:
            raise ValueError("must be a mapping of at least one dotted key to the values to try")
        empty = [key for key, values in value.items() if not values]
        if empty:
            raise ValueError(
                f"must be a mapping with at least one value per key ({', '.join(empty)} has none)"
            )
        return value


def _override(key: str, value: Any) -> str:
    import json

    return f"{key}={json.dumps(value, ensure_ascii=False)}"


def load_sweep(path: Path) -> tuple[SweepSpec, RunConfig, list[dict[str, Any]]]:
    """Read a sweep file; return the spec, the resolved base config and each trial's settings."""
    if not path.is_file():
        raise ConfigError(f"Sweep file '{path}' does not exist.")
    data = read_yaml(path)
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise ConfigError(f"{path}: expected a mapping (base, grid, ...), got {kind}.")
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as error:
        raise ConfigError(describe(SweepSpec, error.errors(include_url=False), path)) from None
    base_path = (path.parent / spec.base) if not Path(spec.base).is_absolute() else Path(spec.base)
    if not base_path.is_file():
        raise ConfigError(
            f"{line_of(path, ('base',))}The sweep's base config '{base_path}' does not exist."
        )
    base = load_config(
        base_path, [_override(k, v) for k, v in spec.set.items()], label=f"{path}: set"
    )
    trials = expand(spec)
    # Validate every trial now, so a typo in the grid fails before hours of work.
    base_data = base.model_dump(mode="json")
    for trial in trials:
        overrides = [_override(k, v) for k, v in trial.items()]
        label = f"{path}: grid"
        validate_config(
            apply_overrides(base_data, overrides, label),
            origins=override_origins(overrides, label),
        )
    return spec, base, trials


def expand(spec: SweepSpec) -> list[dict[str, Any]]:
    """Every grid combination, or ``samples`` distinct random ones."""
    keys = list(spec.grid)
    combos = [
        dict(zip(keys, values, strict=True)) for values in itertools.product(*spec.grid.values())
    ]
    if spec.search == "random" and spec.samples < len(combos):
        combos = random.Random(spec.seed).sample(combos, spec.samples)
    return combos


def trial_config(
    base: RunConfig, settings: dict[str, Any], name: str, output_dir: Path
) -> RunConfig:
    """The base config with one trial's settings, writing into the sweep's folder."""
    overrides = [_override(k, v) for k, v in settings.items()]
    overrides += [_override("run.name", name), _override("output.dir", str(output_dir))]
    return validate_config(apply_overrides(base.model_dump(mode="json"), overrides))
