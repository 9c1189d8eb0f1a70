"""Topic layers (issue 10): groups and NMI per layer against every reference labelling.

Full bench corpora with the ``fast`` preset (and ``--preset default`` for USE); each corpus's
reference labellings: CSL ``label`` (67 disciplines) and ``label_coarse`` (13), OHSUMED
``label`` (23), arXiv ``label_archive`` (18) and ``label`` (123 categories). NMI over all
documents, outliers one cluster.

Usage: ``python bench/layers.py [--preset fast]``; writes
``bench/results/layers_<preset>.{json,md}``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from sklearn.metrics import normalized_mutual_info_score

from topics.config import load_config
from topics.pipeline import run_pipeline

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = ROOT.parent / "shared" / "data" / "bench"
CORPORA = {
    "csl_zh": ("csl_zh.jsonl.gz", ["label", "label_coarse"]),
    "ohsumed_en": ("ohsumed_en.jsonl.gz", ["label"]),
    "arxiv_en": ("arxiv_sample_en.jsonl.gz", ["label_archive", "label"]),
}


def references(path: Path, fields: list[str]) -> pd.DataFrame:
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    return pd.DataFrame(
        {"id": [r["id"] for r in rows], **{f: [r.get(f) for r in rows] for f in fields}}
    )


def bench_corpus(name: str, preset: str, work: Path) -> dict:
    file, fields = CORPORA[name]
    config = load_config(
        ROOT / "configs" / f"{preset}.yaml",
        [
            f"corpus.paths=[{json.dumps(str(DATA / file))}]",
            f"output.dir={work / 'reports'}",
            f"cache.dir={work / 'cache'}",
            f"run.name={name}",
            "output.report=false",
            "output.save_model=false",
        ],
    )
    result = run_pipeline(config)
    documents = pd.read_parquet(result.run_dir / "documents.parquet")
    documents = documents.drop(columns=[c for c in fields if c in documents.columns])
    merged = documents.merge(references(DATA / file, fields), on="id", how="left")
    rows = []
    for column in result.manifest["layers"]:
        row = {"layer": column, "groups": int(len(set(merged[column]) - {-1}))}
        for field in fields:
            truth = merged[field].fillna("none").astype(str)
            row[f"nmi_{field}"] = round(
                float(normalized_mutual_info_score(truth, merged[column])), 4
            )
        rows.append(row)
    return {
        "documents": len(documents),
        "rows": rows,
        "generic_label_share": result.manifest["metrics"].get("generic_label_share"),
        "labels": pd.read_csv(result.run_dir / "topics.csv")["label"].head(6).tolist(),
        "seconds": result.manifest["timings"],
    }


def markdown(report: dict) -> str:
    lines = [
        f"# Topic layers, `{report['preset']}` preset (`bench/layers.py`)",
        "",
        f"{report['date']} · {report['machine']} · full corpora; NMI over all documents.",
        "",
        "| corpus | layer | groups | NMI per reference labelling |",
        "|---|---|---:|---|",
    ]
    for name, entry in report["corpora"].items():
        for row in entry["rows"]:
            scores = ", ".join(f"{k[4:]} {v:.3f}" for k, v in row.items() if k.startswith("nmi_"))
            lines.append(
                f"| {name} ({entry['documents']}) | {row['layer']} | {row['groups']} | {scores} |"
            )
    lines += ["", "| corpus | generic label units | first labels |", "|---|---:|---|"]
    for name, entry in report["corpora"].items():
        shown = "; ".join(str(label) for label in entry["labels"][:4])
        lines.append(f"| {name} | {entry['generic_label_share']:.1%} | {shown} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="fast")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()
    report = {
        "date": datetime.now(UTC).date().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "preset": args.preset,
        "corpora": {},
    }
    with tempfile.TemporaryDirectory() as scratch:
        for name in CORPORA:
            began = time.perf_counter()
            report["corpora"][name] = bench_corpus(name, args.preset, Path(scratch))
            print(f"{name}: {time.perf_counter() - began:.0f} s", flush=True)
            stem = f"layers_{args.preset}"
            (args.out / f"{stem}.json").write_text(json.dumps(report, indent=2) + "\n")
            (args.out / f"{stem}.md").write_text(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()
