"""Two seeds of one corpus, matched topic for topic by ``topics compare`` (issue 20).

Each full bench corpus is run with ``run.seed`` 42 and 7 (both presets); ``topics.compare``
matches the fine topics one to one. Reported: topics per run, matched topics (share of the
smaller run's), the size-weighted mean Jaccard of the matches, the share of documents that
stay together (in a matched pair on both sides), and split / merged / new / gone counts.
Writes ``bench/results/compare_seeds.{json,md}``.

Usage: ``python bench/compare_seeds.py [--presets fast default] [--cache DIR]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from data import bench_config

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "bench"
RESULTS = ROOT / "bench" / "results"
CORPORA = {
    "csl_zh": "csl_zh.jsonl.gz",
    "ohsumed_en": "ohsumed_en.jsonl.gz",
    "arxiv_en": "arxiv_sample_en.jsonl.gz",
}
SEEDS = (42, 7)


def agreement(run_a: Path, run_b: Path) -> dict:
    import topics

    comparison = topics.compare(run_a, run_b)
    matched = comparison["matched"]
    weights = [p["size_a"] + p["size_b"] for p in matched]
    docs_a = pd.read_parquet(run_a / "documents.parquet", columns=["id", "topic"])
    docs_b = pd.read_parquet(run_b / "documents.parquet", columns=["id", "topic"])
    both = docs_a.merge(docs_b, on="id", suffixes=("_a", "_b"))
    pairs = {(p["a"], p["b"]) for p in matched}
    together = [(a, b) in pairs for a, b in zip(both["topic_a"], both["topic_b"], strict=True)]
    return {
        "topics": [comparison["topics_a"], comparison["topics_b"]],
        "matched": len(matched),
        "matched_share": round(
            len(matched) / max(1, min(comparison["topics_a"], comparison["topics_b"])), 3
        ),
        "weighted_jaccard": round(
            sum(p["jaccard"] * w for p, w in zip(matched, weights, strict=True))
            / max(1, sum(weights)),
            3,
        ),
        "documents_together": round(sum(together) / max(1, len(both)), 3),
        **{kind: len(comparison[kind]) for kind in ("split", "merged", "new", "gone")},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="*", default=["fast", "default"])
    parser.add_argument("--work", type=Path, default=Path("/tmp/compare-seeds"))
    parser.add_argument("--cache", type=Path, default=None)
    args = parser.parse_args()
    from topics.pipeline import run_pipeline

    results = {}
    for name, file in CORPORA.items():
        for preset in args.presets:
            runs = []
            for seed in SEEDS:
                config = bench_config(
                    preset,
                    DATA / file,
                    args.work,
                    args.cache or args.work / "cache",
                    f"{name}-{preset}-{seed}",
                    f"run.seed={seed}",
                )
                runs.append(run_pipeline(config).run_dir)
            results[f"{name}/{preset}"] = agreement(*runs)
            print(name, preset, results[f"{name}/{preset}"], flush=True)
    document = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "seeds": list(SEEDS),
        "results": results,
    }
    (RESULTS / "compare_seeds.json").write_text(json.dumps(document, indent=1) + "\n")
    lines = [
        "# Two seeds matched topic for topic (`bench/compare_seeds.py`)",
        "",
        f"{document['date']}. Seeds {SEEDS[0]} and {SEEDS[1]}, fine topics, `topics.compare`.",
        "",
        "| corpus / preset | topics | matched (share) | weighted Jaccard | documents together | "
        "split / merged / new / gone |",
        "|---|---|---|---|---|---|",
    ]
    for key, row in results.items():
        lines.append(
            f"| {key} | {row['topics'][0]} / {row['topics'][1]} | {row['matched']} "
            f"({row['matched_share']}) | {row['weighted_jaccard']} | {row['documents_together']} "
            f"| {row['split']} / {row['merged']} / {row['new']} / {row['gone']} |"
        )
    (RESULTS / "compare_seeds.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
