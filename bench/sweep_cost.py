"""What a 12-setting HDBSCAN sweep costs compared with one run, on CSL (10.6k abstracts).

One ``topics run`` with an empty cache (static embeddings, UMAP, everything), then
``topics sweep`` over 12 HDBSCAN settings sharing that cache, each in its own process, timed
in this one script. Writes ``bench/results/sweep_cost.{json,md}``.

Usage: ``uv run python bench/sweep_cost.py``
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CSL = ROOT.parent / "shared" / "data" / "bench" / "csl_zh.jsonl.gz"


def timed(command: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, text=True)
    return time.perf_counter() - began


def main() -> None:
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        common = [f"corpus.paths={json.dumps([str(CSL)])}", f"cache.dir={work / 'cache'}"]
        run = [sys.executable, "-m", "topics", "run", str(ROOT / "configs" / "fast.yaml"), "-q"]
        for override in [*common, f"output.dir={work / 'out'}"]:
            run += ["--set", override]
        single = timed(run)
        grid = {
            "hdbscan.min_cluster_size": [20, 33, 60],
            "hdbscan.min_samples": [3, 10],
            "hdbscan.cluster_selection_method": ["leaf", "eom"],
        }
        spec = {
            "name": "csl-sweep",
            "base": str(ROOT / "configs" / "fast.yaml"),
            "set": {"corpus.paths": [str(CSL)], "cache.dir": str(work / "cache")},
            "grid": grid,
            "objective": {"metric": "npmi", "constraints": {"outlier_share": {"max": 0.3}}},
        }
        sweep_file = work / "sweep.yaml"
        sweep_file.write_text(yaml.safe_dump(spec), "utf-8")
        sweep_command = [sys.executable, "-m", "topics", "sweep", str(sweep_file), "-q"]
        sweep = timed([*sweep_command, "--output-dir", str(work / "out")])
        trials = json.loads((work / "out" / "csl-sweep" / "trials.json").read_text("utf-8"))
    rows = trials["trials"]
    payload = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{os.cpu_count()} cores",
        "load_average_at_end": os.getloadavg()[0],
        "single_run_cold_s": round(single, 1),
        "sweep_12_settings_s": round(sweep, 1),
        "ratio": round(sweep / single, 2),
        "trials": [
            {
                "trial": t["trial"],
                "settings": t["settings"],
                "metrics": t["metrics"],
                "cache": t["cache"],
            }
            for t in rows
        ],
    }
    results = ROOT / "bench" / "results"
    (results / "sweep_cost.json").write_text(json.dumps(payload, indent=1), "utf-8")
    lines = [
        f"# Sweep cost on CSL ({payload['date']}, {payload['machine']}, fast preset)",
        "",
        f"One cold run: {payload['single_run_cold_s']} s. Sweep of 12 HDBSCAN settings (each "
        f"trial a full run folder + dashboard, sharing the cache): {payload['sweep_12_settings_s']}"
        f" s = **{payload['ratio']}×** one run.",
        "",
        "| rank | settings | topics | outliers | NPMI | diversity |",
        "|---|---|---|---|---|---|",
    ]
    for t in rows:
        m = t["metrics"]
        lines.append(
            f"| {t['rank']} | {t['settings']} | {m['topics']} | {m['outlier_share']:.2f} | "
            f"{m['npmi']:.3f} | {m['diversity']:.3f} |"
        )
    (results / "sweep_cost.md").write_text("\n".join(lines) + "\n", "utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
