"""Behaviour check for a refactor: the run folder's data files before and after, byte for byte.

Runs the shipped sample and each full bench corpus (CSL, OHSUMED, arXiv) with both presets and
records a digest of what a user reads in the run folder: ``documents.parquet`` (its content:
columns, types and every value, not the file's bytes, whose metadata names the writer),
``topics.csv`` and ``layers.csv`` (their bytes). Run it once on the old code and once on the new
one, then compare:

    python bench/run_identity.py --label before --work /tmp/identity   # old checkout
    python bench/run_identity.py --label after --work /tmp/identity    # new checkout
    python bench/run_identity.py --compare before after --work /tmp/identity

``--compare`` writes ``bench/results/run_identity.{json,md}``. Each labelled pass reuses the
embedding cache of the passes before it (vectors are not what a refactor of the run changes,
and USE takes minutes per corpus here) but starts with an empty UMAP cache, so every stage
after embedding runs again.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from data import bench_config

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "bench"
RESULTS = ROOT / "bench" / "results"
CORPORA = {
    "sample": None,
    "csl_zh": "csl_zh.jsonl.gz",
    "ohsumed_en": "ohsumed_en.jsonl.gz",
    "arxiv_en": "arxiv_sample_en.jsonl.gz",
}
PRESETS = ("fast", "default")
FILES = ("documents.parquet", "topics.csv", "layers.csv")


def frame_digest(path: Path) -> str:
    """Digest of a parquet file's columns, dtypes and values (NaN equal to NaN)."""
    frame = pd.read_parquet(path)
    hasher = hashlib.sha256()
    hasher.update(json.dumps([[c, str(t)] for c, t in frame.dtypes.items()]).encode())
    hasher.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return hasher.hexdigest()[:16]


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def run_one(corpus: str, preset: str, work: Path, cache: Path) -> dict[str, str]:
    from topics.pipeline import run_pipeline

    file = None if CORPORA[corpus] is None else DATA / CORPORA[corpus]
    config = bench_config(preset, file, work / "reports", cache, f"{corpus}-{preset}")
    began = time.perf_counter()
    result = run_pipeline(config)
    digests = {
        name: (frame_digest if name.endswith(".parquet") else file_digest)(result.run_dir / name)
        for name in FILES
    }
    digests["seconds"] = round(time.perf_counter() - began, 1)
    return digests


def record(label: str, work: Path, corpora: list[str]) -> None:
    """One labelled pass: every corpus × preset, the digests saved after each run."""
    cache = work / f"cache-{label}"
    shared = work / "embeddings"
    if cache.exists():
        shutil.rmtree(cache)
    cache.mkdir(parents=True)
    # Embeddings only: everything the pipeline computes after them runs again.
    (cache / "embeddings").symlink_to(shared.absolute()) if shared.exists() else None
    out = work / f"{label}.json"
    done = json.loads(out.read_text()) if out.exists() else {}
    for corpus in corpora:
        for preset in PRESETS:
            key = f"{corpus}/{preset}"
            done[key] = run_one(corpus, preset, work / label, cache)
            out.write_text(json.dumps(done, indent=1))
            print(key, done[key], flush=True)
    if not shared.exists() and (cache / "embeddings").is_dir():
        shutil.move(str(cache / "embeddings"), str(shared))


def compare(before: str, after: str, work: Path) -> int:
    old = json.loads((work / f"{before}.json").read_text())
    new = json.loads((work / f"{after}.json").read_text())
    rows, differ = [], 0
    for key in old:
        same = {name: old[key].get(name) == new.get(key, {}).get(name) for name in FILES}
        differ += not all(same.values())
        rows.append({"run": key, **same, "seconds": [old[key]["seconds"], new[key]["seconds"]]})
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "before": before,
        "after": after,
        "rows": rows,
        "identical": differ == 0,
    }
    (RESULTS / "run_identity.json").write_text(json.dumps(result, indent=1) + "\n")
    lines = [
        "# Run folder before and after a refactor (`bench/run_identity.py`)",
        "",
        f"{result['date']}: `{before}` vs `{after}`. ✓ = identical content.",
        "",
        "Seconds are each run's wall clock, not a speed comparison: the later pass reuses the "
        "earlier pass's embeddings (USE takes minutes per corpus) and may share the machine.",
        "",
        "| run | " + " | ".join(FILES) + " | seconds before → after |",
        "|---|" + "---|" * (len(FILES) + 1),
    ]
    for row in rows:
        marks = " | ".join("✓" if row[name] else "**differs**" for name in FILES)
        lines.append(f"| {row['run']} | {marks} | {row['seconds'][0]} → {row['seconds'][1]} |")
    (RESULTS / "run_identity.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 1 if differ else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", help="name of this pass (its digests: WORK/LABEL.json)")
    parser.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"))
    parser.add_argument("--work", type=Path, default=Path("/tmp/run-identity"))
    parser.add_argument("--corpora", nargs="*", default=list(CORPORA))
    args = parser.parse_args()
    if args.compare:
        return compare(*args.compare, args.work)
    if not args.label:
        parser.error("give --label or --compare")
    record(args.label, args.work, args.corpora)
    return 0


if __name__ == "__main__":
    sys.exit(main())
