"""Dashboard size and render time for 1k, 10k and 50k documents (a benchmark, not a test).

Run folders come from the real pipeline with cheap TF-IDF embeddings on a mix of the bench
corpora (arXiv + OHSUMED in English, CSL in Chinese); the 50k folder replicates the 10k run's
rows under new ids (with jittered map positions), since only the page is being measured.
Render time is ``performance.now()`` when the document map (the first figure) has been drawn in
headless Debian Chromium, median of three loads.

Usage: ``.venv/bin/python bench/report_size.py [--sizes 1000 10000 50000]``; writes
``bench/results/report_size.{json,md}``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
BENCH_DATA = ROOT.parent / "shared" / "data" / "bench"
CORPORA = ("arxiv_sample_en.jsonl.gz", "csl_zh.jsonl.gz", "ohsumed_en.jsonl.gz")
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))


def mixed_corpus(size: int, target: Path) -> Path:
    """Interleave the bench corpora into one JSONL file of ``size`` records."""
    streams = []
    for name in CORPORA:
        with gzip.open(BENCH_DATA / name, "rt", encoding="utf-8") as handle:
            streams.append([json.loads(line) for line in handle])
    rows = [r for group in zip(*streams, strict=False) for r in group][:size]
    with target.open("w", encoding="utf-8") as out:
        for r in rows:
            record = {k: r.get(k) for k in ("id", "title", "abstract", "date", "label")}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return target


def pipeline_run(size: int, work: Path) -> Path:
    from topics.config import load_config
    from topics.pipeline import run_pipeline

    corpus = mixed_corpus(size, work / f"corpus-{size}.jsonl")
    config = load_config(
        ROOT / "configs" / "default.yaml",
        [
            f"output.dir={work / 'reports'}",
            f"cache.dir={work / 'cache'}",
            f"run.name=bench-{size}",
            f'corpus.paths=["{corpus.as_posix()}"]',
            "embedding.backend=tfidf",
            "output.save_model=false",
            "output.report=false",
        ],
    )
    return run_pipeline(config).run_dir


def replicated_run(source: Path, factor: int, target: Path) -> Path:
    """Copy a run folder with every document repeated ``factor`` times under new ids."""
    import shutil

    shutil.copytree(source, target)
    documents = pd.read_parquet(source / "documents.parquet")
    copies = []
    for k in range(factor):
        copy = documents.copy()
        copy["id"] = copy["id"].astype(str) + f"#r{k}"
        copies.append(copy)
    pd.concat(copies, ignore_index=True).to_parquet(target / "documents.parquet")
    coords = np.load(source / "map2d.npy")
    rng = np.random.default_rng(0)
    spread = coords.std(axis=0) * 0.02
    tiled = np.concatenate([coords + rng.normal(0, spread, coords.shape) for _ in range(factor)])
    np.save(target / "map2d.npy", tiled.astype(np.float32))
    topics = pd.read_csv(target / "topics.csv", keep_default_na=False)
    topics["size"] = topics["size"] * factor
    topics.to_csv(target / "topics.csv", index=False)
    manifest = json.loads((target / "manifest.json").read_text("utf-8"))
    manifest["run"]["name"] = target.name
    manifest.setdefault("counts", {})["documents"] = len(documents) * factor
    (target / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    return target


def time_first_figure(page_path: Path, repeats: int = 3) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    from tests.report.conftest import CHROMIUM_ARGS

    first, ready = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        for _ in range(repeats):
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.route(
                "**/*",
                lambda r: (
                    r.continue_()
                    if r.request.url.startswith(("file:", "data:", "blob:"))
                    else r.abort()
                ),
            )
            page.goto(page_path.as_uri())
            page.wait_for_function("document.body.dataset.ready !== undefined", timeout=120_000)
            first.append(page.evaluate("window.__firstFigureAt"))
            ready.append(page.evaluate("performance.now()"))
            page.close()
        browser.close()
    return {
        "first_figure_ms": round(statistics.median(first)),
        "all_figures_ms": round(statistics.median(ready)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000])
    args = parser.parse_args()
    from topics.report import build_report

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        runs: dict[int, Path] = {}
        for size in sorted(args.sizes):
            base = max((s for s in runs if size % s == 0 and size > s), default=None)
            if size > 10_000 and base:
                run_dir = replicated_run(
                    runs[base], size // base, work / "reports" / f"bench-{size}"
                )
                how = f"replicated {size // base}x from the {base:,} run"
            else:
                run_dir = pipeline_run(size, work)
                how = "pipeline (tfidf)"
            runs[size] = run_dir
            began = time.perf_counter()
            page = build_report(run_dir)
            build_s = time.perf_counter() - began
            timing = time_first_figure(page)
            results.append({"documents": size, "source": how, "bytes": page.stat().st_size,
                            "mb": round(page.stat().st_size / 1e6, 2), "build_s": round(build_s, 2),
                            **timing})  # fmt: skip
            print(results[-1], flush=True)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"
    record = {"machine": machine,
              "chromium": "/usr/bin/chromium --disable-gpu (SwiftShader WebGL)",
              "budget": {"10k_mb": 10, "first_figure_s": 3}, "results": results}  # fmt: skip
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "report_size.json").write_text(json.dumps(record, indent=2) + "\n", "utf-8")
    lines = ["# Dashboard size and render time", "", f"Machine: {record['machine']}; "
             f"{record['chromium']}. Median of 3 loads.", "",
             "| documents | source | page MB | build s | first figure ms | all figures ms |",
             "|---:|---|---:|---:|---:|---:|"]  # fmt: skip
    for r in results:
        lines.append(f"| {r['documents']:,} | {r['source']} | {r['mb']} | {r['build_s']} | "
                     f"{r['first_figure_ms']} | {r['all_figures_ms']} |")  # fmt: skip
    (RESULTS / "report_size.md").write_text("\n".join(lines) + "\n", "utf-8")


if __name__ == "__main__":
    main()
