"""Fit a core, assign the rest (issue 9): quality and cost of ``cluster.fit_sample``.

For each bench corpus (full, `fast` preset):

1. **Pipeline**: ``cluster.fit_sample: null`` (UMAP + HDBSCAN on everything) against a forced
   ``fit_sample`` (default 2,000): NMI of the final topics against the labels (``nmi_all``,
   outliers one cluster), topics, outliers, seconds of reduce + cluster + assign + map2d.
2. **Assigners** on the same core fit (UMAP + HDBSCAN on the sample): the k-nearest-neighbour
   vote in embedding space (:mod:`topics.assign.knn`, what the pipeline uses) against UMAP
   ``transform`` + ``hdbscan.approximate_predict``: NMI of the labels of all documents (core
   labels + assigned, before outlier reduction) and seconds to assign.

Usage: ``python bench/fit_sample.py [--sample 2000] [--corpora csl_zh,ohsumed_en,arxiv_en]``
Writes ``bench/results/fit_sample.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sklearn.metrics import normalized_mutual_info_score

from topics.assign import core_rows
from topics.assign.core import core_embeddings, core_hdbscan, spread
from topics.cluster import cluster, reduce
from topics.corpus import load_corpus
from topics.pipeline import SilentProgress, embed_corpus, run_pipeline

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data import bench_config  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = ROOT.parent / "shared" / "data" / "bench"
CORPORA = {
    "csl_zh": (DATA / "csl_zh.jsonl.gz", "label"),
    "ohsumed_en": (DATA / "ohsumed_en.jsonl.gz", "label"),
    "arxiv_en": (DATA / "arxiv_sample_en.jsonl.gz", "label_archive"),
}
STAGES = ("reduce", "cluster", "assign", "map2d")


def config_for(path: Path, label: str, work: Path, *extra: str):  # noqa: ANN201
    return bench_config(
        "fast", path, work / "reports", work / "cache", None, f"corpus.fields.label={label}", *extra
    )


def pipeline_rows(path: Path, label: str, sample: int, work: Path) -> list[dict]:
    rows = []
    for setting in ("null", str(sample)):
        config = config_for(path, label, work, f"cluster.fit_sample={setting}", "run.name=fs")
        manifest = run_pipeline(config).manifest
        rows.append(
            {
                "fit_sample": None if setting == "null" else sample,
                "nmi_all": manifest["metrics"].get("nmi_all"),
                "topics": manifest["counts"]["topics"],
                "outliers": manifest["counts"]["outliers"],
                "fitted": manifest["counts"]["fitted"],
                "seconds": round(sum(manifest["timings"].get(s, 0.0) for s in STAGES), 1),
            }
        )
    return rows


def assigner_rows(path: Path, label: str, sample: int, work: Path) -> list[dict]:
    config = config_for(path, label, work, "cluster.fit_sample=null")
    corpus = load_corpus(config.corpus).canonical()
    truth = np.asarray([str(value) for value in corpus.labels])
    embeddings = embed_corpus(corpus, config, SilentProgress())
    core = core_rows(len(corpus), sample, config.run.seed)
    reduced = reduce(core_embeddings(embeddings, core), config.umap, config.run.seed)
    section = core_hdbscan(config.hdbscan, len(corpus), len(core))
    clusters = cluster(reduced, section, config.run.seed)
    rows = []

    began = time.perf_counter()
    assigned = spread(
        embeddings.vectors, core, clusters.labels, config.cluster.neighbors, config.run.seed
    )
    knn_seconds = time.perf_counter() - began
    labels = np.empty(len(corpus), dtype=np.int64)
    labels[core] = clusters.labels
    labels[assigned.rest] = assigned.labels
    rows.append(
        _assigner_row("knn vote (embedding space)", truth, labels, assigned.rest, knn_seconds)
    )

    import hdbscan

    began = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        coords = reduced.reducer.transform(embeddings.vectors[assigned.rest])
        predicted, _ = hdbscan.approximate_predict(clusters.clusterer, coords)
    umap_seconds = time.perf_counter() - began
    labels = labels.copy()
    labels[assigned.rest] = predicted
    rows.append(
        _assigner_row(
            "UMAP transform + approximate_predict", truth, labels, assigned.rest, umap_seconds
        )
    )
    return rows


def _assigner_row(
    name: str, truth: np.ndarray, labels: np.ndarray, rest: np.ndarray, seconds: float
) -> dict:
    return {
        "assigner": name,
        "nmi_all": round(float(normalized_mutual_info_score(truth, labels)), 4),
        "nmi_assigned_docs": round(
            float(normalized_mutual_info_score(truth[rest], labels[rest])), 4
        ),
        "assigned_outliers": round(float((labels[rest] == -1).mean()), 4),
        "seconds": round(seconds, 2),
    }


def markdown(report: dict) -> str:
    lines = [
        "# Fit a core, assign the rest (`bench/fit_sample.py`)",
        "",
        f"{report['date']} · {report['machine']} · `fast` preset, full corpora, core of "
        f"{report['sample']} documents (seed 42).",
        "",
        "## Pipeline: fit on everything vs on the sample",
        "",
        "| corpus | documents | fit_sample | fitted | topics | outliers | NMI (all) | "
        "reduce+cluster+assign+map2d s |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for name, entry in report["corpora"].items():
        for row in entry["pipeline"]:
            lines.append(
                f"| {name} | {entry['documents']} | {row['fit_sample'] or 'null'} | "
                f"{row['fitted']} | {row['topics']} | {row['outliers']} | "
                f"{row['nmi_all']:.3f} | {row['seconds']} |"
            )
    lines += [
        "",
        "## Assigners on the same core fit (labels before outlier reduction)",
        "",
        "| corpus | assigner | NMI (all) | NMI (assigned docs) | assigned as outliers | seconds |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name, entry in report["corpora"].items():
        for row in entry["assigners"]:
            lines.append(
                f"| {name} | {row['assigner']} | {row['nmi_all']:.3f} | "
                f"{row['nmi_assigned_docs']:.3f} | {row['assigned_outliers']:.1%} | "
                f"{row['seconds']} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument("--corpora", default=",".join(CORPORA))
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()
    report = {
        "date": datetime.now(UTC).date().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "sample": args.sample,
        "corpora": {},
    }
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        for name in args.corpora.split(","):
            path, label = CORPORA[name]
            began = time.perf_counter()
            entry = {"assigners": assigner_rows(path, label, args.sample, work)}
            entry["pipeline"] = pipeline_rows(path, label, args.sample, work)
            entry["documents"] = entry["pipeline"][0]["fitted"]
            report["corpora"][name] = entry
            print(f"{name}: {time.perf_counter() - began:.0f} s", flush=True)
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / "fit_sample.json").write_text(json.dumps(report, indent=2) + "\n")
            (args.out / "fit_sample.md").write_text(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()
