"""Topic-word document-frequency floor vs NPMI and diversity (topics are unchanged by it).

Runs the default preset on the 2k-abstract CSL and arXiv subsets written by ``bench/data.py``
(embeddings from the cache) with ``topics.min_df`` in 2, 5, 10, 20 and writes
``bench/results/min_df.{json,md}``.

Usage: ``uv run python bench/data.py && uv run python bench/min_df.py``
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from topics.config import load_config
from topics.pipeline import run_pipeline

ROOT = Path(__file__).resolve().parents[1]
SUBSETS = Path("/tmp/topics-bench")
CORPORA = {"csl_zh_2000": "label", "arxiv_en_2000": "label_archive"}
FLOORS = [2, 5, 10, 20]


def main() -> None:
    rows = []
    for corpus, label in CORPORA.items():
        for min_df in FLOORS:
            config = load_config(
                ROOT / "configs" / "default.yaml",
                [
                    f'corpus.paths=["{SUBSETS / corpus}.jsonl"]',
                    f"corpus.fields.label={label}",
                    f"topics.min_df={min_df}",
                    "run.name=min-df",
                    "output.dir=/tmp/min-df",
                    f"cache.dir={ROOT / '.topics-cache'}",
                    "output.report=false",
                    "output.save_model=false",
                ],
            )
            metrics = run_pipeline(config).manifest["metrics"]
            keep = ["npmi", "diversity", "hygiene", "nmi_all", "topics"]
            rows.append({"corpus": corpus, "min_df": min_df, **{k: metrics.get(k) for k in keep}})
            print(rows[-1], flush=True)
    results = ROOT / "bench" / "results"
    (results / "min_df.json").write_text(json.dumps(rows, indent=1), "utf-8")
    lines = [
        f"# topics.min_df vs label quality ({time.strftime('%Y-%m-%d')}, default preset, USE)",
        "",
        "| corpus | min_df | NPMI | diversity | hygiene | NMI all | topics |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['corpus']} | {row['min_df']} | {row['npmi']:.3f} | {row['diversity']:.3f} | "
            f"{row['hygiene']:.3f} | {row['nmi_all']:.3f} | {row['topics']} |"
        )
    lines += [
        "",
        "Plain BERTopic on the same embeddings (bench/results/quality.md): CSL NPMI "
        ".072 / diversity .653; arXiv .051 / .495.",
    ]
    (results / "min_df.md").write_text("\n".join(lines) + "\n", "utf-8")


if __name__ == "__main__":
    main()
