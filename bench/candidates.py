"""Novel documents and candidate topics on a feed with a subject the fit never saw (issue 20).

For each bench corpus one large subject is withheld (seeded choice among subjects of 150+
documents). The run is fitted on 80% of the other subjects' documents; two weekly
``topics assign`` calls then bring 10% of them each (held out) and half of the withheld subject
each. Reported per corpus and preset, after each week: the share of held-out known documents
called novel (false alarms) and of the withheld subject's; after the second week: candidate
topics, their purity (size-weighted share of their documents from the withheld subject),
coverage (share of the withheld subject's documents in a candidate whose majority it is), and
whether the subject was proposed at all. Writes ``bench/results/candidates.{json,md}``.

Usage: ``python bench/candidates.py [--presets fast default] [--work /tmp/candidates-bench]
[--cache DIR]`` (an embedding cache of the full bench corpora serves every run: same texts).
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

from data import BENCH_DATA, CORPORA, bench_config

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SEED, FIT_SHARE, WEEKS = 11, 0.8, 2


def feed_files(corpus, out: Path) -> tuple[dict[str, Path], str]:
    """The fit file and one file per week; the withheld subject."""
    with gzip.open(BENCH_DATA / corpus.file, "rt", encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    labels = pd.Series([r[corpus.label_field] for r in rows])
    rng = np.random.default_rng(SEED)
    sizes = labels.value_counts()
    withheld = str(rng.choice(sorted(sizes[sizes >= 150].index)))
    known = rng.permutation(np.flatnonzero(labels != withheld))
    new = rng.permutation(np.flatnonzero(labels == withheld))
    cut = int(FIT_SHARE * len(known))
    held = np.array_split(known[cut:], WEEKS)
    parts = {"fit": known[:cut]}
    for week, (old, fresh) in enumerate(zip(held, np.array_split(new, WEEKS), strict=True), 1):
        parts[f"week{week}"] = np.concatenate([old, fresh])
    files = {}
    for part, indices in parts.items():
        path = out / f"{corpus.name}-{part}.jsonl"
        with path.open("w", encoding="utf-8") as stream:
            for i in indices:
                row = rows[i]
                record = {
                    "id": f"row{i}",  # CSL repeats some ids across its sources
                    "title": row.get("title"),
                    "abstract": row["abstract"],
                    "label": str(row[corpus.label_field]),
                }
                stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        files[part] = path
    return files, withheld


def score(run_dir: Path, withheld: str, weeks: list[dict]) -> dict:
    documents = pd.read_parquet(run_dir / "documents.parquet")
    new = documents[documents["assigned_by"] == "assign"].copy()
    new["week"] = new["assigned_at"].map({w["at"]: i for i, w in enumerate(weeks, 1)})
    result: dict = {"withheld": withheld, "weeks": []}
    for week in range(1, len(weeks) + 1):
        rows = new[new["week"] == week]
        is_new = rows["label"] == withheld
        result["weeks"].append(
            {
                "known_novel_share": round(float(rows.loc[~is_new, "novel"].mean()), 3),
                "withheld_novel_share": round(float(rows.loc[is_new, "novel"].mean()), 3),
                "known": int((~is_new).sum()),
                "withheld": int(is_new.sum()),
            }
        )
    members = new[new["candidate"] != -1]
    majority = members.groupby("candidate")["label"].agg(lambda x: x.value_counts().index[0])
    of_withheld = majority[majority == withheld].index
    result |= {
        "candidates": int(members["candidate"].nunique()),
        "candidate_documents": len(members),
        "purity": round(float((members["label"] == withheld).mean()), 3) if len(members) else None,
        "coverage": round(
            float(
                members["candidate"].isin(of_withheld).sum()
                / max((new["label"] == withheld).sum(), 1)
            ),
            3,
        ),
        "proposed": bool(len(of_withheld)),
        "min_cluster_size": json.loads((run_dir / "manifest.json").read_text())["candidates"][
            "min_cluster_size"
        ],
    }
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="*", default=["fast", "default"])
    parser.add_argument("--work", type=Path, default=Path("/tmp/candidates-bench"))
    parser.add_argument("--cache", type=Path, default=None)
    args = parser.parse_args()
    from topics.assign.feed import assign_documents
    from topics.pipeline import run_pipeline

    args.work.mkdir(parents=True, exist_ok=True)
    cache = args.cache or args.work / "cache"
    results: dict = {}
    for corpus in CORPORA:
        files, withheld = feed_files(corpus, args.work)
        for preset in args.presets:
            config = bench_config(
                preset, files["fit"], args.work / "reports", cache, f"{corpus.name}-{preset}"
            )
            run_dir = run_pipeline(config).run_dir
            weeks = []
            for week in range(1, WEEKS + 1):
                assign_documents(run_dir, [str(files[f"week{week}"])], [f"cache.dir={cache}"])
                weeks.append(json.loads((run_dir / "manifest.json").read_text())["assignments"][-1])
            results[f"{corpus.name}/{preset}"] = score(run_dir, withheld, weeks)
            print(corpus.name, preset, results[f"{corpus.name}/{preset}"], flush=True)
    document = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "design": {"fit_share": FIT_SHARE, "weeks": WEEKS, "seed": SEED},
        "results": results,
    }
    (RESULTS / "candidates.json").write_text(json.dumps(document, indent=1) + "\n")
    lines = [
        "# Novel documents and candidate topics (`bench/candidates.py`)",
        "",
        f"{document['date']}. Fit on 80% of every subject but one; two weekly assigns each bring "
        "10% of the known subjects (held out) and half of the withheld one. Novel share per "
        "week (known → withheld); candidates after week 2.",
        "",
        "| corpus / preset | withheld | novel, week 1 | novel, week 2 | candidates | purity | "
        "coverage | proposed |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key, row in results.items():
        weeks = [
            f"{w['known_novel_share']:.1%} → {w['withheld_novel_share']:.1%}" for w in row["weeks"]
        ]
        purity = "–" if row["purity"] is None else f"{row['purity']:.0%}"
        lines.append(
            f"| {key} | {row['withheld']} | {weeks[0]} | {weeks[1]} | {row['candidates']} "
            f"({row['candidate_documents']} docs, min {row['min_cluster_size']}) | {purity} | "
            f"{row['coverage']:.0%} | {'yes' if row['proposed'] else '**no**'} |"
        )
    (RESULTS / "candidates.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
