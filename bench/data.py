"""Bench corpora and their fixed random subsets, written as JSON Lines for ``corpus.paths``.

Full USE embeds 16–57 abstracts/s on 2 cores, so the quality benchmark runs the USE presets on a
fixed random subset of each bench corpus (same seed → same rows → every embedding comes from
the on-disk cache after the first run). Subsets go to a scratch folder outside the repository.

Usage: ``python bench/data.py [--size 2000] [--out /tmp/topics-bench]`` prints the written paths.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCH_DATA = HERE.parent.parent / "shared" / "data" / "bench"
SEED_DATA = HERE.parent / "data" / "sample"
DEFAULT_OUT = Path("/tmp/topics-bench")
SUBSET_SEED = 20261122


def bench_config(
    preset: str,
    corpus: Path | str | None,
    out: Path,
    cache: Path,
    name: str | None = None,
    *extra: str,
):  # noqa: ANN201 (RunConfig; the package is imported only when a config is made)
    """``configs/<preset>.yaml`` on one corpus file (``None``: the preset's own sample), its run
    folder ``out/<name>`` holding the data files only (no page, no model), cached in
    ``cache``; ``extra`` are further ``KEY=VALUE`` overrides. Every benchmark builds its
    runs' configs here."""
    from topics.config import load_config

    overrides = [f"output.dir={out}", f"cache.dir={cache}", "output.report=false"]
    overrides.append("output.save_model=false")
    if corpus is not None:
        overrides.append(f"corpus.paths=[{json.dumps(str(corpus))}]")
    if name is not None:
        overrides.append(f"run.name={name}")
    return load_config(HERE.parent / "configs" / f"{preset}.yaml", [*overrides, *extra])


@dataclass(frozen=True)
class BenchCorpus:
    """One labelled bench corpus: its file, the label field scored against and the label count."""

    name: str
    file: str
    label_field: str | None
    n_labels: int | None
    language: str


CORPORA = [
    BenchCorpus("csl_zh", "csl_zh.jsonl.gz", "label", 67, "zh"),
    BenchCorpus("ohsumed_en", "ohsumed_en.jsonl.gz", "label", 23, "en"),
    BenchCorpus("arxiv_en", "arxiv_sample_en.jsonl.gz", "label_archive", 18, "en"),
]


def read_rows(path: Path) -> list[str]:
    """Raw JSON lines of a ``.jsonl.gz`` file (kept as text so a subset is byte-identical)."""
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        return [line if line.endswith("\n") else line + "\n" for line in stream if line.strip()]


def source_id(document_id: str, rows: dict) -> str:
    """The bench row of a run's document: the loader suffixes a repeated id with ``#2``, ``#3``…"""
    document_id = str(document_id)
    return document_id if document_id in rows else document_id.rsplit("#", 1)[0]


def write_subset(corpus: BenchCorpus, size: int | None, out: Path) -> Path:
    """Write ``size`` randomly chosen rows (file order kept; ``None`` = all) and return the path.

    The choice depends only on :data:`SUBSET_SEED` and the file, so reruns pick the same rows.
    """
    rows = read_rows(BENCH_DATA / corpus.file)
    if size is not None and size < len(rows):
        picked = sorted(random.Random(SUBSET_SEED).sample(range(len(rows)), size))
        rows = [rows[i] for i in picked]
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{corpus.name}_{size or 'all'}.jsonl"
    if not target.exists() or target.read_text(encoding="utf-8") != "".join(rows):
        target.write_text("".join(rows), encoding="utf-8")
    return target


def label_count(path: Path, field: str) -> int:
    """Distinct non-empty values of ``field`` in a JSON Lines file."""
    with path.open(encoding="utf-8") as stream:
        return len({json.loads(line).get(field) for line in stream} - {None, ""})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2000, help="rows per subset (0 = all)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    for corpus in CORPORA:
        print(write_subset(corpus, args.size or None, args.out))


if __name__ == "__main__":
    main()
