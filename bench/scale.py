"""Scale benchmark (issue 9): seconds per stage and peak memory from 1k to 100k+ abstracts.

The corpora are built from the bench corpora without any download: each synthetic abstract is
the sentences of one real abstract plus one or two sentences of another abstract with the same
label, shuffled — so the texts are distinct, topical, and in both languages (Chinese from CSL
and the ChinaXiv pairs, English from OHSUMED, arXiv and the pairs; about 60% Chinese). Each
size runs ``topics run configs/fast.yaml`` in a fresh process (peak RSS is the run's own) with
an empty cache, then ``topics assign`` of 1,000 new abstracts into that run.

Usage: ``python bench/scale.py [--sizes 1000,10000,100000]``
Writes ``bench/results/scale.{json,md}``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = ROOT.parent / "shared" / "data" / "bench"
SENTENCE = re.compile(r"(?<=[。！？.!?])\s*")


def _sentences(text: str) -> list[str]:
    return [part.strip() for part in SENTENCE.split(text) if len(part.strip()) > 8]


def source_documents() -> list[tuple[str, str, list[str]]]:
    """``(group, lang, sentences)`` for every bench abstract (groups: corpus + label)."""
    out = []
    for name, label in (("csl_zh", "label"), ("ohsumed_en", "label"), ("arxiv_sample_en", "label")):
        with gzip.open(DATA / f"{name}.jsonl.gz", "rt", encoding="utf-8") as lines:
            for line in lines:
                row = json.loads(line)
                out.append((f"{name}:{row.get(label)}", row["lang"], _sentences(row["abstract"])))
    with gzip.open(DATA / "chinaxiv_pairs.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            for lang in ("zh", "en"):
                out.append((f"pairs:{row.get('label')}:{lang}", lang, _sentences(row[lang])))
    return [entry for entry in out if entry[2]]


def build_corpus(size: int, seed: int, path: Path, prefix: str = "s") -> Path:
    """Write ``size`` synthetic abstracts (about 60% Chinese) as JSON Lines."""
    rng = np.random.default_rng(seed)
    sources = source_documents()
    groups: dict[str, list[int]] = {}
    for index, (group, _, _) in enumerate(sources):
        groups.setdefault(group, []).append(index)
    langs = np.array([lang for _, lang, _ in sources])
    zh, en = np.flatnonzero(langs == "zh"), np.flatnonzero(langs == "en")
    with path.open("w", encoding="utf-8") as out:
        for number in range(size):
            pool = zh if rng.random() < 0.6 else en
            base = int(rng.choice(pool))
            group, lang, sentences = sources[base]
            extra = [sources[int(rng.choice(groups[group]))][2] for _ in range(rng.integers(1, 3))]
            picked = list(sentences) + [s[int(rng.integers(len(s)))] for s in extra]
            rng.shuffle(picked)
            joiner = "" if lang == "zh" else " "
            record = {"id": f"{prefix}{number}", "abstract": joiner.join(picked), "label": group}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def topics_command(*args: str) -> tuple[float, str]:
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "topics", *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return time.perf_counter() - began, done.stdout.strip().splitlines()[-1]


def measure(size: int, work: Path, seed: int) -> dict:
    corpus = build_corpus(size, seed, work / f"corpus-{size}.jsonl")
    feed = build_corpus(1000, seed + 1, work / f"feed-{size}.jsonl", prefix="feed")
    common = ["--set", f"output.dir={work / 'reports'}", "--set", f"cache.dir={work / 'cache'}"]
    wall, run_dir = topics_command(
        "run",
        str(ROOT / "configs" / "fast.yaml"),
        "--quiet",
        "--set",
        f"corpus.paths=[{json.dumps(str(corpus))}]",
        "--set",
        f"run.name=n{size}",
        *common,
    )
    manifest = json.loads((Path(run_dir) / "manifest.json").read_text("utf-8"))
    index = Path(run_dir) / "index.html"
    row = {
        "documents": manifest["counts"]["documents"],
        "fitted": manifest["counts"]["fitted"],
        "topics": manifest["counts"]["topics"],
        "wall_s": round(wall, 1),
        "timings": manifest["timings"],
        "peak_rss_mb": manifest["peak_rss_mb"],
        "index_html_mb": round(index.stat().st_size / 1e6, 1) if index.exists() else None,
        "assign_folder_mb": round(
            sum(p.stat().st_size for p in (Path(run_dir) / "assign").glob("*")) / 1e6, 1
        ),
    }
    assign_wall, _ = topics_command(
        "assign", run_dir, str(feed), "--quiet", "--set", f"cache.dir={work / 'cache'}"
    )
    after = json.loads((Path(run_dir) / "manifest.json").read_text("utf-8"))
    row["assign_1000_s"] = round(assign_wall, 1)
    row["assign_novel"] = after["assignments"][-1]["novel"]
    return row


def markdown(report: dict) -> str:
    stages = ["load", "embed", "reduce", "cluster", "assign", "represent", "map2d", "report"]
    lines = [
        "# Scale (`bench/scale.py`)",
        "",
        f"{report['date']} · {report['machine']} · `fast` preset, cold cache, one process per "
        "run; `assign 1k` = `topics assign` of 1,000 new abstracts into that run (process "
        "start included).",
        "",
        "| documents | fitted | topics | "
        + " | ".join(stages)
        + " | total s | peak RSS MB | index.html MB | assign/ MB | assign 1k s |",
        "|" + "---:|" * (len(stages) + 8),
    ]
    for row in report["rows"]:
        timings = row["timings"]
        lines.append(
            f"| {row['documents']:,} | {row['fitted']:,} | {row['topics']} | "
            + " | ".join(f"{timings.get(stage, 0):.1f}" for stage in stages)
            + f" | {timings['total']:.1f} | {row['peak_rss_mb']:.0f} | {row['index_html_mb']} | "
            f"{row['assign_folder_mb']} | {row['assign_1000_s']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()
    report = {
        "date": datetime.now(UTC).date().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "rows": [],
    }
    with tempfile.TemporaryDirectory() as scratch:
        for size in [int(value) for value in args.sizes.split(",")]:
            row = measure(size, Path(scratch), args.seed)
            report["rows"].append(row)
            print(json.dumps(row), flush=True)
            (args.out / "scale.json").write_text(json.dumps(report, indent=2) + "\n")
            (args.out / "scale.md").write_text(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()
