"""Per-stage seconds and peak memory of whole runs: the sample (USE) and CSL (distilled).

Each run is a fresh ``topics run`` process (so peak RSS is the run's own), first with an empty
cache ("cold") and then again with the cache filled ("warm": no embedding, no UMAP). Results go
to ``bench/results/pipeline_stages.{json,md}``.

Usage: ``uv run python bench/pipeline_stages.py [--skip-csl]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CSL = ROOT.parent / "shared" / "data" / "bench" / "csl_zh.jsonl.gz"
RESULTS = ROOT / "bench" / "results"

CASES = {
    "sample (use)": [],
    "csl (distilled)": [f'corpus.paths=["{CSL}"]', "embedding.backend=distilled"],
}


def run_once(name: str, overrides: list[str], work: Path) -> dict:
    command = [
        sys.executable,
        "-m",
        "topics",
        "run",
        str(ROOT / "configs" / "default.yaml"),
        "--quiet",
        "--set",
        f"output.dir={work / 'reports'}",
        "--set",
        f"cache.dir={work / 'cache'}",
        "--set",
        f"run.name={name}",
    ]
    for override in overrides:
        command += ["--set", override]
    began = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - began
    manifest = json.loads((work / "reports" / name / "manifest.json").read_text("utf-8"))
    return {
        "wall_s": round(wall, 1),
        "timings": manifest["timings"],
        "peak_rss_mb": manifest["peak_rss_mb"],
        "documents": manifest["counts"]["documents"],
        "topics": manifest["counts"]["topics"],
        "outlier_share": manifest["metrics"]["outlier_share"],
        "cache": manifest["cache"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-csl", action="store_true")
    args = parser.parse_args()
    rows = []
    for case, overrides in CASES.items():
        if args.skip_csl and "csl" in case:
            continue
        with tempfile.TemporaryDirectory() as temp:
            work = Path(temp)
            for phase in ("cold", "warm"):
                result = run_once("bench", overrides, work)
                rows.append({"case": case, "phase": phase, **result})
                print(case, phase, result["wall_s"], "s", file=sys.stderr)
    payload = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}",
        "load_average_at_end": os.getloadavg(),
        "rows": rows,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "pipeline_stages.json").write_text(json.dumps(payload, indent=1), "utf-8")
    stages = [
        "load",
        "embed",
        "reduce",
        "cluster",
        "represent",
        "evaluate",
        "map2d",
        "layers",
        "outputs",
        "report",
        "total",
    ]
    lines = [
        f"# Pipeline stages ({payload['date']}, {payload['machine']}, load average at end "
        f"{payload['load_average_at_end'][0]:.1f})",
        "",
        "| case | cache | docs | topics | outliers | " + " | ".join(stages) + " | peak RSS MB |",
        "|---" * (len(stages) + 6) + "|",
    ]
    for row in rows:
        cells = [f"{row['timings'].get(s, 0):.1f}" for s in stages]
        lines.append(
            f"| {row['case']} | {row['phase']} | {row['documents']} | {row['topics']} | "
            f"{row['outlier_share']:.0%} | " + " | ".join(cells) + f" | {row['peak_rss_mb']:.0f} |"
        )
    lines.append("")
    lines.append(
        "Seconds per stage from each run's manifest; each run is its own process. "
        "'warm' re-runs the same config: embeddings and UMAP come from the cache."
    )
    (RESULTS / "pipeline_stages.md").write_text("\n".join(lines) + "\n", "utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
