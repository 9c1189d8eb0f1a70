"""``topics sweep``: run a grid or random search over config keys, reusing every cache.

Each trial is an ordinary run (its own folder and dashboard), so embeddings are computed once
for the whole sweep and a UMAP output is reused by every trial that differs only downstream of
it (HDBSCAN, topic words, outliers) — BERTopic #2504, #569.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from topics.engine import Engine
from topics.run_folder import atomic_run_folder

if TYPE_CHECKING:
    from topics.preflight import Checked
from topics.sweep.spec import SweepSpec, load_sweep, trial_config

__all__ = ["SweepResult", "rank_trials", "run_sweep"]


@dataclass
class SweepResult:
    """The sweep folder, one row per trial (settings + metrics) best first, and the winner."""

    folder: Path
    trials: list[dict[str, Any]]
    best: dict[str, Any] | None


def _violations(metrics: dict[str, Any], spec: SweepSpec) -> int:
    count = 0
    for name, bound in spec.objective.constraints.items():
        value = metrics.get(name)
        if (
            value is None
            or (isinstance(value, float) and math.isnan(value))
            or (bound.min is not None and value < bound.min)
            or (bound.max is not None and value > bound.max)
        ):
            count += 1
    return count


def rank_trials(trials: list[dict[str, Any]], spec: SweepSpec) -> list[dict[str, Any]]:
    """Order trials: those meeting every constraint first, then by the objective metric."""
    sign = -1.0 if spec.objective.direction == "maximize" else 1.0

    def key(trial: dict[str, Any]) -> tuple[int, float]:
        value = trial["metrics"].get(spec.objective.metric)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return (_violations(trial["metrics"], spec), math.inf)
        return (_violations(trial["metrics"], spec), sign * float(value))

    ranked = sorted(trials, key=key)
    for rank, trial in enumerate(ranked, start=1):
        trial["rank"] = rank
        trial["meets_constraints"] = _violations(trial["metrics"], spec) == 0
    return ranked


def _trial(
    checked: Checked, settings: dict[str, Any], report: bool, engine: Engine
) -> dict[str, Any]:
    """Run one trial on the sweep's engine; its row of ``trials.json``."""
    from topics.pipeline import run_pipeline

    config = checked.config
    result = run_pipeline(config, engine=engine, checked=checked)
    return {
        "trial": config.run.name,
        "settings": settings,
        "metrics": result.manifest["metrics"],
        "seconds": result.manifest["timings"].get("total"),
        "cache": result.manifest.get("cache", {}),
        "report": report,
    }


def run_sweep(
    path: Path,
    output_dir: Path | None = None,
    on_trial: Callable[[int, int, dict[str, Any]], None] | None = None,
) -> SweepResult:
    """Run every trial of the sweep file at ``path``.

    Parameters
    ----------
    path:
        The sweep YAML (see :class:`~topics.sweep.spec.SweepSpec`).
    output_dir:
        Parent folder (default: the base config's ``output.dir``); trials go to
        ``<output_dir>/<sweep name>/trial-NN`` and ``sweep.html`` / ``best.yaml`` beside them.
    on_trial:
        Called after each trial with (done, total, trial row) — the CLI's progress bar.
    """
    from topics.engine import open_engine
    from topics.preflight import preflight
    from topics.sweep.page import write_sweep_page

    spec, base, settings = load_sweep(path)
    parent = Path(output_dir or base.output.dir)
    folder = parent / spec.name
    trials_dir = parent / f".{spec.name}.trials"
    configs = []
    for number, trial_settings in enumerate(settings, start=1):
        config = trial_config(base, trial_settings, f"trial-{number:02d}", trials_dir)
        if not spec.report:
            config = config.model_copy(
                update={"output": config.output.model_copy(update={"report": False})}
            )
        configs.append(preflight(config))  # every trial checked before the first one runs
    trials: list[dict[str, Any]] = []
    # One engine for every trial (the base config's engine section): with engine.kind dask,
    # one LocalCluster for the sweep, not one per trial.
    with open_engine(base.engine) as engine:
        for number, (trial_settings, config) in enumerate(zip(settings, configs, strict=True), 1):
            trials.append(_trial(config, trial_settings, spec.report, engine))
            if on_trial is not None:
                on_trial(number, len(settings), trials[-1])
    ranked = rank_trials(trials, spec)
    best = ranked[0] if ranked else None
    with atomic_run_folder(parent, spec.name) as temp:
        for trial in trials:
            (trials_dir / trial["trial"]).rename(temp / trial["trial"])
        (temp / "trials.json").write_text(
            json.dumps(
                {"objective": spec.objective.model_dump(), "trials": ranked},
                ensure_ascii=False,
                indent=1,
            ),
            "utf-8",
        )
        if best is not None:
            _write_best(temp / "best.yaml", base, best, spec)
        write_sweep_page(temp / "sweep.html", spec, ranked)
    trials_dir.rmdir() if trials_dir.exists() and not any(trials_dir.iterdir()) else None
    return SweepResult(folder=folder, trials=ranked, best=best)


def _write_best(path: Path, base: Any, best: dict[str, Any], spec: SweepSpec) -> None:
    from topics.config import apply_overrides, validate_config
    from topics.sweep.spec import _override

    data = apply_overrides(
        base.model_dump(mode="json"), [_override(k, v) for k, v in best["settings"].items()]
    )
    data["run"]["name"] = f"{spec.name}-best"
    validate_config(data)  # the file we write must load
    value = best["metrics"].get(spec.objective.metric)
    header = (
        f"# Best of sweep '{spec.name}' by {spec.objective.direction} {spec.objective.metric}"
        f" = {value}\n# (constraints: "
        + ", ".join(
            f"{k} {v.model_dump(exclude_none=True)}" for k, v in spec.objective.constraints.items()
        )
        + f"; met: {best['meets_constraints']})\n"
        + f"# Settings: {json.dumps(best['settings'], ensure_ascii=False)}\n"
    )
    path.write_text(header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
