"""Scale benchmark (issue 9): seconds per stage and peak memory from 1k to 100k+ abstracts.

The corpora are built from the bench corpora without any download: each synthetic abstract is
the sentences of one real abstract plus one or two sentences of another abstract with the same
label, shuffled — so the texts are distinct, topical, and in both languages (Chinese from CSL
and the ChinaXiv pairs, English from OHSUMED, arXiv and the pairs; about 60% Chinese). Each
size runs ``topics run configs/fast.yaml`` in a fresh process with an empty cache, once per
engine (``local``; ``dask`` = a 2-worker ``LocalCluster`` on the same 2 cores), then
``topics assign`` of 1,000 new abstracts into that run. Peak memory is sampled every 0.2 s
over the whole process tree (Dask workers and forked local workers included; proportional set
size, so pages a fork shares with its parent count once) besides the run's own
``peak_rss_mb``.

Usage: ``python bench/scale.py [--sizes 1000,10000,100000] [--engines local,dask]``
Writes ``bench/results/scale.{json,md}`` and, with matplotlib (``--extra bench``),
``bench/results/scale.png`` (time and memory against N, log-log). Rows of earlier runs are kept
unless re-measured (a 1M run takes most of an hour: ``--sizes 1000000 --engines local``).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from synthetic import recombine, sentences  # noqa: E402

ROOT = HERE.parent
DATA = ROOT.parent / "shared" / "data" / "bench"


def source_documents() -> list[tuple[str, str, list[str]]]:
    """``(group, lang, sentences)`` for every bench abstract (groups: corpus + label)."""
    out = []
    for name, label in (("csl_zh", "label"), ("ohsumed_en", "label"), ("arxiv_sample_en", "label")):
        with gzip.open(DATA / f"{name}.jsonl.gz", "rt", encoding="utf-8") as lines:
            for line in lines:
                row = json.loads(line)
                out.append((f"{name}:{row.get(label)}", row["lang"], sentences(row["abstract"])))
    with gzip.open(DATA / "chinaxiv_pairs.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            for lang in ("zh", "en"):
                out.append((f"pairs:{row.get('label')}:{lang}", lang, sentences(row[lang])))
    return [entry for entry in out if entry[2]]


def build_corpus(size: int, seed: int, path: Path, prefix: str = "s") -> Path:
    """Write ``size`` synthetic abstracts of every bench corpus (about 60% Chinese)."""
    return recombine(source_documents(), size, seed, path, prefix)


def topics_command(*args: str) -> tuple[float, str, float]:
    """``(seconds, last stdout line, peak MB of the process tree)`` of one ``topics`` command."""
    import psutil

    began = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen([sys.executable, "-m", "topics", *args], stdout=out, stderr=err)
        peak = 0.0
        while process.poll() is None:
            peak = max(peak, _tree_rss_mb(psutil.Process(process.pid)))
            time.sleep(0.2)
        seconds = time.perf_counter() - began
        out.seek(0), err.seek(0)
        if process.returncode != 0:
            raise RuntimeError(err.read()[-3000:])
        return seconds, out.read().strip().splitlines()[-1], round(peak, 1)


def _tree_rss_mb(process) -> float:  # noqa: ANN001 (psutil.Process)
    """Memory of the process tree: the sum of proportional set sizes where the platform has
    them (forked workers share their parent's pages: summed RSS would count those twice)."""
    import psutil

    try:
        members = [process, *process.children(recursive=True)]
        return sum(_proportional(member) for member in members) / 2**20
    except psutil.Error:  # a member exited between listing and reading
        return 0.0


def _proportional(member) -> int:  # noqa: ANN001 (psutil.Process)
    try:
        return member.memory_full_info().pss
    except (AttributeError, NotImplementedError):  # no PSS here (not Linux)
        return member.memory_info().rss


def measure(size: int, engine: str, work: Path, seed: int) -> dict:
    corpus = work / f"corpus-{size}.jsonl"
    if not corpus.exists():
        build_corpus(size, seed, corpus)
    feed = build_corpus(1000, seed + 1, work / f"feed-{size}.jsonl", prefix="feed")
    cache = work / f"cache-{size}-{engine}"
    shutil.rmtree(cache, ignore_errors=True)  # cold for every run, also in a reused --work
    common = ["--set", f"output.dir={work / 'reports'}", "--set", f"cache.dir={cache}"]
    wall, run_dir, tree_peak = topics_command(
        "run",
        str(ROOT / "configs" / "fast.yaml"),
        "--quiet",
        "--set",
        f"corpus.paths=[{json.dumps(str(corpus))}]",
        "--set",
        f"run.name=n{size}-{engine}",
        "--set",
        f"engine.kind={engine}",
        "--set",
        "corpus.fields.label=label",  # the source group: NMI says whether quality holds with N
        *common,
    )
    manifest = json.loads((Path(run_dir) / "manifest.json").read_text("utf-8"))
    index = Path(run_dir) / "index.html"
    row = {
        "engine": engine,
        "documents": manifest["counts"]["documents"],
        "fitted": manifest["counts"]["fitted"],
        "topics": manifest["counts"]["topics"],
        "nmi_all": round(manifest["metrics"]["nmi_all"], 4),
        "wall_s": round(wall, 1),
        "timings": manifest["timings"],
        "peak_rss_mb": manifest["peak_rss_mb"],
        "tree_peak_mb": tree_peak,
        "index_html_mb": round(index.stat().st_size / 1e6, 1) if index.exists() else None,
        "assign_folder_mb": round(
            sum(p.stat().st_size for p in (Path(run_dir) / "assign").glob("*")) / 1e6, 1
        ),
    }
    assign_wall, _, _ = topics_command(
        "assign", run_dir, str(feed), "--quiet", "--set", f"cache.dir={cache}"
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
        "start included). Peak RSS: the run's own process; in brackets, sampled over the "
        "process tree (Dask and forked workers included, proportional set size).",
        "",
        "| documents | fitted | topics | NMI | "
        + " | ".join(stages)
        + " | total s | peak RSS MB (process tree) | index.html MB | assign/ MB | assign 1k s |",
        "|" + "---:|" * (len(stages) + 9),
    ]
    for row in report["rows"]:
        timings = row["timings"]
        lines.append(
            f"| {row['documents']:,} {row.get('engine', 'local')} | {row['fitted']:,} | "
            f"{row['topics']} | {row.get('nmi_all', '–')} | "
            + " | ".join(f"{timings.get(stage, 0):.1f}" for stage in stages)
            + f" | {timings['total']:.1f} | {row['peak_rss_mb']:.0f} "
            f"({row.get('tree_peak_mb', row['peak_rss_mb']):.0f}) | {row['index_html_mb']} | "
            f"{row['assign_folder_mb']} | {row['assign_1000_s']} |"
        )
    lines += ["", *ratio_lines(report["rows"])]
    return "\n".join(lines) + "\n"


def ratio_lines(rows: list[dict]) -> list[str]:
    """Issue 23's targets: the largest run against the 100k run of the same engine."""
    out = []
    for engine in sorted({row.get("engine", "local") for row in rows}):
        by_size = {round(r["documents"], -5): r for r in rows if r.get("engine", "local") == engine}
        small, large = by_size.get(100_000), by_size.get(1_000_000)
        if not (small and large and "nmi_all" in small and "nmi_all" in large):
            continue
        wall = large["timings"]["total"] / small["timings"]["total"]
        out += [
            f"1M / 100k ({engine}): wall clock {wall:.2f}× "
            "(target ≤ 2.0×), peak RSS "
            f"{large['peak_rss_mb'] / small['peak_rss_mb']:.2f}× (target ≤ 1.2×), NMI "
            f"{large['nmi_all'] - small['nmi_all']:+.3f} (target ≥ −.03); topics "
            f"{small['topics']} → {large['topics']}.",
        ]
    return out


def plot(report: dict, path: Path) -> bool:
    """Seconds and peak MB against documents, log-log, one line per engine (needs matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    figure, (time_axis, memory_axis) = plt.subplots(1, 2, figsize=(10, 4))
    for engine in sorted({row.get("engine", "local") for row in report["rows"]}):
        rows = sorted(
            (r for r in report["rows"] if r.get("engine", "local") == engine),
            key=lambda r: r["documents"],
        )
        sizes = [r["documents"] for r in rows]
        time_axis.plot(sizes, [r["timings"]["total"] for r in rows], "o-", label=engine)
        line = memory_axis.plot(sizes, [r["peak_rss_mb"] for r in rows], "o-", label=engine)
        memory_axis.plot(
            sizes,
            [r.get("tree_peak_mb", r["peak_rss_mb"]) for r in rows],
            "--",
            color=line[0].get_color(),
            label=f"{engine}, process tree",
        )
    titles = ((time_axis, "seconds, end to end"), (memory_axis, "peak MB: run's process, tree"))
    for axis, title in titles:
        axis.set_xscale("log"), axis.set_yscale("log")
        axis.set_xlabel("abstracts"), axis.set_title(title), axis.grid(True, which="both", lw=0.3)
        axis.legend()
    figure.suptitle(f"topics run, fast preset — {report['machine']}")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--engines", default="local,dask")
    parser.add_argument("--work", type=Path, default=None, help="keep corpora and runs here")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()
    previous = args.out / "scale.json"
    report = json.loads(previous.read_text("utf-8")) if previous.exists() else {"rows": []}
    report["date"] = datetime.now(UTC).date().isoformat()
    report["machine"] = f"{platform.machine()}, {os.cpu_count()} cores"
    with tempfile.TemporaryDirectory() as scratch:
        work = args.work or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        for size in [int(value) for value in args.sizes.split(",")]:
            for engine in args.engines.split(","):
                row = measure(size, engine, work, args.seed)
                report["rows"] = [
                    r
                    for r in report["rows"]
                    if (r["documents"], r.get("engine", "local")) != (row["documents"], engine)
                ] + [row]
                report["rows"].sort(key=lambda r: (r["documents"], r.get("engine", "local")))
                print(json.dumps(row), flush=True)
                (args.out / "scale.json").write_text(json.dumps(report, indent=2) + "\n")
                (args.out / "scale.md").write_text(markdown(report))
                plot(report, args.out / "scale.png")
    print(markdown(report))


if __name__ == "__main__":
    main()
