"""Topic layers (issue 10): every layer against every reference labelling, and an anchor.

Full bench corpora with the ``fast`` preset (and ``--preset default`` for USE); each corpus's
reference labellings: CSL ``label`` (67 disciplines) and ``label_coarse`` (13), OHSUMED
``label`` (23), arXiv ``label_archive`` (18) and ``label`` (123 categories). Per layer: groups,
NMI over all documents (outliers one cluster), NPMI of the top-10 words, diversity of the
top-25, and the share of generic label units (the run's ``layer_generic_label_share``). The
anchor is plain BERTopic with its defaults on the same vectors (``bench/quality.py``'s
``run_bertopic``), scored by the same code (``bench/quality.py``'s ``score_system``, one
reference tokenization for both).

Usage: ``python bench/layers.py [--preset fast] [--lexical auto] [--table NAME=PATH]``; writes
``bench/results/layers_<preset>.{json,md}`` (``layers_<preset>_<lexical>`` for another setting,
``…_<NAME>`` for another distilled table).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from sklearn.metrics import normalized_mutual_info_score

from topics.config import RunConfig
from topics.corpus import load_corpus
from topics.pipeline import run_pipeline

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from quality import reference_sets, run_bertopic, score_system  # noqa: E402

from data import bench_config  # noqa: E402

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


def corpus_config(
    name: str, preset: str, work: Path, lexical: str = "auto", *extra: str
) -> RunConfig:
    """The preset's config for one full bench corpus (outputs and cache under ``work``)."""
    return bench_config(
        preset,
        DATA / CORPORA[name][0],
        work / "reports",
        work / "cache",
        name,
        f"embedding.lexical={lexical}",
        *extra,
    )


def bench_corpus(name: str, preset: str, work: Path, lexical: str = "auto", *extra: str) -> dict:
    file, fields = CORPORA[name]
    config = corpus_config(name, preset, work, lexical, *extra)
    result = run_pipeline(config)
    documents = pd.read_parquet(result.run_dir / "documents.parquet")
    documents = documents.drop(columns=[c for c in fields if c in documents.columns])
    # A bench file may repeat an id (CSL does): one reference row per id keeps rows aligned.
    truth = references(DATA / file, fields).drop_duplicates("id")
    merged = documents.merge(truth, on="id", how="left", validate="one_to_one")
    table = pd.read_csv(result.run_dir / "layers.csv", keep_default_na=False, na_values=[""])
    anchor = run_bertopic(
        preset, str(DATA / file), fields[0], str(work / "cache"), name == "csl_zh", 42
    )
    # The anchor's rows follow load_corpus's order; ours are documents.parquet's (the same).
    assert load_corpus(config.corpus).ids == documents["id"].tolist()
    sets = reference_sets(documents["text"].tolist(), [anchor.pop("analyzer_tokens")])
    shares = result.manifest["layer_generic_label_share"]
    rows = []
    for level, column in enumerate(result.manifest["layers"]):
        nodes = table[table["layer"] == level]
        words = {
            int(g): str(w).split(" | ") for g, w in zip(nodes["id"], nodes["words"], strict=True)
        }
        scores = score_system({"assignments": merged[column].tolist(), "words": words}, sets, None)
        rows.append(_row(column, scores, merged[column], merged, fields, shares.get(column)))
    scores = score_system(anchor, sets, None)
    rows.append(_row("plain BERTopic", scores, pd.Series(anchor["assignments"]), merged, fields))
    return {
        "documents": len(documents),
        "lexical": result.manifest["lexical"],
        "rows": rows,
        "labels": pd.read_csv(result.run_dir / "topics.csv")["label"].head(6).tolist(),
        "overview_labels": table[table["layer"] == table["layer"].max()]["label"].head(6).tolist(),
        "seconds": result.manifest["timings"],
    }


def _row(
    name: str,
    scores: dict,
    assignments: pd.Series,
    merged: pd.DataFrame,
    fields: list[str],
    generic: float | None = None,
) -> dict:
    row = {
        "layer": name,
        "groups": int(len(set(assignments) - {-1})),
        "npmi": scores.get("npmi"),
        "diversity": scores.get("diversity"),
        "generic": generic,
    }
    for field in fields:
        truth = merged[field].fillna("none").astype(str)
        row[f"nmi_{field}"] = round(
            float(normalized_mutual_info_score(truth, assignments.to_numpy())), 4
        )
    return row


def markdown(report: dict) -> str:
    lines = [
        f"# Topic layers, `{report['preset']}` preset (`bench/layers.py`)",
        "",
        f"{report['date']} · {report['machine']} · full corpora; NMI over all documents "
        "(outliers one cluster); NPMI top-10, diversity top-25 over one reference "
        "tokenization; generic = share of label units that do not tell their group apart. "
        "Anchor: plain BERTopic (defaults) on the preset's embedder's vectors (without the "
        "lexical block: what a BERTopic user gets from the same model). `+lexical`: the run "
        "joined a TF-IDF block (`embedding.lexical`).",
        "",
        "| corpus | layer | groups | NMI per reference labelling | NPMI | diversity | generic |",
        "|---|---|---:|---|---:|---:|---:|",
    ]

    def number(value: float | None, pattern: str) -> str:
        return "–" if value is None else format(value, pattern)

    for name, entry in report["corpora"].items():
        lexical = " +lexical" if entry.get("lexical", {}).get("used") else ""
        for row in entry["rows"]:
            scores = ", ".join(f"{k[4:]} {v:.3f}" for k, v in row.items() if k.startswith("nmi_"))
            layer = row["layer"] if row["layer"] == "plain BERTopic" else row["layer"] + lexical
            lines.append(
                f"| {name} ({entry['documents']}) | {layer} | {row['groups']} | {scores} "
                f"| {number(row.get('npmi'), '.3f')} | {number(row.get('diversity'), '.2f')} "
                f"| {number(row.get('generic'), '.1%')} |"
            )
    lines += ["", "| corpus | first topic labels | first overview labels |", "|---|---|---|"]
    for name, entry in report["corpora"].items():
        topics = "; ".join(str(label) for label in entry["labels"][:4])
        overview = "; ".join(str(label) for label in entry.get("overview_labels", [])[:4])
        lines.append(f"| {name} | {topics} | {overview} |")
    return "\n".join(lines) + "\n"


def new_report(**settings: object) -> dict:
    """A bench report's header (date, machine, ``settings``) with no corpus measured yet."""
    return {
        "date": datetime.now(UTC).date().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        **settings,
        "corpora": {},
    }


def run_corpora(
    report: dict,
    names: list[str],
    bench: Callable[[str, Path], dict],
    out: Path,
    markdown: Callable[[dict], str],
    work: Path | None = None,
) -> None:
    """Fill ``report["corpora"]`` with ``bench(name, folder)`` for each corpus, in turn.

    ``<out>.json`` and ``<out>.md`` are written after every corpus, so an interrupted bench
    keeps what it measured. ``folder`` is ``work`` (a cache kept between runs) or a temporary
    folder removed at the end.
    """
    with tempfile.TemporaryDirectory() as scratch:
        folder = work or Path(scratch)
        for name in names:
            began = time.perf_counter()
            report["corpora"][name] = bench(name, folder)
            print(f"{name}: {time.perf_counter() - began:.0f} s", flush=True)
            out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
            out.with_suffix(".md").write_text(markdown(report))
    print(markdown(report))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="fast")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--lexical", default="auto", help="embedding.lexical for our runs")
    parser.add_argument("--work", type=Path, help="cache folder kept between runs")
    parser.add_argument(
        "--table",
        help="NAME=PATH: run `distilled` on another piece table (embedding.path); "
        "writes layers_<preset>_<NAME>",
    )
    args = parser.parse_args()
    stem = f"layers_{args.preset}" + ("" if args.lexical == "auto" else f"_{args.lexical}")
    extra: list[str] = []
    if args.table:
        name, path = args.table.split("=", 1)
        extra = ["embedding.backend=distilled", f"embedding.path={Path(path).resolve()}"]
        stem += f"_{name}"
    run_corpora(
        new_report(preset=args.preset, table=args.table),
        list(CORPORA),
        lambda name, work: bench_corpus(name, args.preset, work, args.lexical, *extra),
        args.out / stem,
        markdown,
        args.work,
    )


if __name__ == "__main__":
    main()
