"""Trends on a dated feed with known schedules (issue 20): are rising and fading subjects found,
and are steady ones left alone?

Each full bench corpus (CSL disciplines, OHSUMED disease codes) is given dates over 16 weeks:
most subjects are steady (every week equally likely), three of the larger ones rise (four
times as likely in the last four weeks) and three fade (a quarter as likely there). The run
uses ``trends.period: week`` and ``trends.recent: 4``. A topic stands for its documents'
majority subject; an emerging (declining) flag is right when that subject rises (fades).

Reported per corpus and preset: precision of the emerging and declining flags (fine topics),
recall (share of rising / fading subjects with at least one flagged topic), and false alarms
(flags on topics of steady subjects). Writes ``bench/results/trends.{json,md}``.

Usage: ``python bench/trends.py [--presets fast default] [--work /tmp/trends-bench]``
(``--cache`` reuses an embedding cache: the dates change no text).
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from data import bench_config

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "bench"
RESULTS = ROOT / "bench" / "results"
CORPORA = {"csl_zh": "csl_zh.jsonl.gz", "ohsumed_en": "ohsumed_en.jsonl.gz"}
WEEKS, RECENT, CHANGED, SEED = 16, 4, 3, 7
START = pd.Timestamp("2024-01-01")  # a Monday: week w is days 7w .. 7w+6


def dated_feed(name: str, out: Path) -> tuple[Path, dict[str, str]]:
    """The corpus with scheduled dates; ``{label: 'rising' | 'fading' | 'steady'}``."""
    with gzip.open(DATA / CORPORA[name], "rt", encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    rng = np.random.default_rng(SEED)
    sizes = pd.Series([r["label"] for r in rows]).value_counts()
    large = [label for label, size in sizes.items() if size >= 150]
    chosen = rng.permutation(large)[: 2 * CHANGED].tolist()
    schedule = {label: "steady" for label in sizes.index}
    schedule |= {label: "rising" for label in chosen[:CHANGED]}
    schedule |= {label: "fading" for label in chosen[CHANGED:]}
    late = {"steady": 1.0, "rising": 4.0, "fading": 0.25}
    path = out / f"{name}-dated.jsonl"
    with path.open("w", encoding="utf-8") as stream:
        for row in rows:
            weights = np.ones(WEEKS)
            weights[-RECENT:] = late[schedule[row["label"]]]
            week = rng.choice(WEEKS, p=weights / weights.sum())
            day = START + pd.Timedelta(days=int(7 * week + rng.integers(7)))
            record = {k: row.get(k) for k in ("id", "title", "abstract", "label")}
            stream.write(json.dumps(record | {"date": day.strftime("%Y-%m-%d")}) + "\n")
    return path, schedule


def score(run_dir: Path, schedule: dict[str, str]) -> dict:
    manifest = json.loads((run_dir / "manifest.json").read_text("utf-8"))
    documents = pd.read_parquet(run_dir / "documents.parquet", columns=["topic", "label"])
    kept = documents[documents["topic"] != -1]
    majority = kept.groupby("topic")["label"].agg(lambda s: s.value_counts().index[0])
    result = {"topics": int(manifest["counts"]["topics"]), "period": manifest["trends"]["period"]}
    for flag, kind in (("emerging", "rising"), ("declining", "fading")):
        flagged = [e for e in manifest["trends"][flag] if e["layer"] == 0]
        kinds = [schedule[majority[e["topic"]]] for e in flagged]
        found = {majority[e["topic"]] for e in flagged if schedule[majority[e["topic"]]] == kind}
        wanted = [label for label, k in schedule.items() if k == kind]
        result[flag] = {
            "flags": len(flagged),
            "precision": round(kinds.count(kind) / len(kinds), 3) if kinds else None,
            "recall": round(len(found) / len(wanted), 3),
            "false_alarms_on_steady": kinds.count("steady"),
        }
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="*", default=["fast", "default"])
    parser.add_argument("--work", type=Path, default=Path("/tmp/trends-bench"))
    parser.add_argument("--cache", type=Path, default=None)
    args = parser.parse_args()
    from topics.pipeline import run_pipeline

    args.work.mkdir(parents=True, exist_ok=True)
    results: dict = {}
    for name in CORPORA:
        path, schedule = dated_feed(name, args.work)
        for preset in args.presets:
            config = bench_config(
                preset,
                path,
                args.work / "reports",
                args.cache or args.work / "cache",
                f"{name}-{preset}",
                "trends.period=week",
                f"trends.recent={RECENT}",
            )
            result = run_pipeline(config)
            results[f"{name}/{preset}"] = score(result.run_dir, schedule)
            print(name, preset, results[f"{name}/{preset}"], flush=True)
    document = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "design": {"weeks": WEEKS, "recent": RECENT, "rising": CHANGED, "fading": CHANGED},
        "results": results,
    }
    (RESULTS / "trends.json").write_text(json.dumps(document, indent=1) + "\n")
    lines = [
        "# Trends on a scheduled feed (`bench/trends.py`)",
        "",
        f"{document['date']}. {WEEKS} weeks; {CHANGED} subjects rise (×4 in the last {RECENT} "
        f"weeks), {CHANGED} fade (×¼), the rest are steady. Fine topics; a flag is right when "
        "the topic's majority subject moved that way.",
        "",
        "| corpus / preset | topics | emerging: flags, precision, recall, on steady | "
        "declining: flags, precision, recall, on steady |",
        "|---|---|---|---|",
    ]
    for key, row in results.items():
        cells = [
            f"{r['flags']}, {r['precision']}, {r['recall']}, {r['false_alarms_on_steady']}"
            for r in (row["emerging"], row["declining"])
        ]
        lines.append(f"| {key} | {row['topics']} | {cells[0]} | {cells[1]} |")
    (RESULTS / "trends.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
