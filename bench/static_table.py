"""Static USE token table: pooling variants vs cross-lingual recall and speed.

Embeds 300 ChinaXiv zh/en abstract pairs with the static table under several pooling choices
and reports recall@1 both ways (is a side's nearest neighbour among the other language's 300
texts its own translation?) and abstracts/s. Writes ``bench/results/static_table.json`` and
``.md``. Runs in about 2–4 minutes on 2 cores (two table builds dominate).

Usage: ``python bench/static_table.py [--pairs PATH] [--n 300]``
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from topics.embed import static
from topics.embed.base import l2_normalize
from topics.embed.static import StaticEmbedder, load_tokenizer, pool

HERE = Path(__file__).resolve().parent
DEFAULT_PAIRS = HERE.parent.parent / "shared" / "data" / "bench" / "chinaxiv_pairs.jsonl.gz"

# (label, context, sif_a, subtract_mean)
VARIANTS = [
    ("<s> piece </s>: plain mean", "bos-eos", None, False),
    ("<s> piece </s>: SIF a=1e-3 + mean-sub", "bos-eos", 1e-3, True),
    ("bare piece: plain mean", "alone", None, False),
    ("bare piece: mean-sub", "alone", None, True),
    ("bare piece: SIF a=1e-3", "alone", 1e-3, False),
    ("bare piece: SIF a=1e-4 + mean-sub", "alone", 1e-4, True),
    ("bare piece: SIF a=3e-4 + mean-sub", "alone", 3e-4, True),
    ("bare piece: SIF a=1e-3 + mean-sub", "alone", 1e-3, True),
    ("bare piece: SIF a=3e-3 + mean-sub", "alone", 3e-3, True),
    ("bare piece: SIF a=1e-2 + mean-sub", "alone", 1e-2, True),
]


def read_pairs(path: Path, n: int) -> tuple[list[str], list[str]]:
    """First ``n`` rows with both sides non-empty."""
    zh, en = [], []
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        for line in stream:
            row = json.loads(line)
            if row.get("zh") and row.get("en"):
                zh.append(row["zh"])
                en.append(row["en"])
            if len(zh) == n:
                break
    return zh, en


def recall_at_1(queries: np.ndarray, targets: np.ndarray) -> float:
    """Share of rows i whose most similar target is target i."""
    return float(np.mean(np.argmax(queries @ targets.T, axis=1) == np.arange(len(queries))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, default=DEFAULT_PAIRS)
    parser.add_argument("--n", type=int, default=300)
    args = parser.parse_args()
    zh, en = read_pairs(args.pairs, args.n)
    texts = zh + en
    ids = [f"{i}#zh" for i in range(len(zh))] + [f"{i}#en" for i in range(len(en))]
    tokenizer_name, encode = load_tokenizer()

    start = time.perf_counter()
    tokens = encode(texts)
    tokenize_s = time.perf_counter() - start
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        build_s: dict[str, float] = {}
        for label, context, sif_a, subtract_mean in VARIANTS:
            embedder = StaticEmbedder(
                Path(cache), sif_a=sif_a, subtract_mean=subtract_mean, context=context
            )
            start = time.perf_counter()
            built_before = static.tables_built
            table = embedder.pooling_table()
            if static.tables_built > built_before:
                build_s[context] = round(time.perf_counter() - start, 1)
            start = time.perf_counter()
            vectors = l2_normalize(pool(tokens, table))
            pool_s = time.perf_counter() - start
            a, b = vectors[: len(zh)], vectors[len(zh) :]
            rows.append(
                {
                    "variant": label,
                    "context": context,
                    "sif_a": sif_a,
                    "subtract_mean": subtract_mean,
                    "recall@1 zh→en": round(recall_at_1(a, b), 3),
                    "recall@1 en→zh": round(recall_at_1(b, a), 3),
                    "abstracts/s (tokenize + pool)": round(len(texts) / (tokenize_s + pool_s)),
                }
            )
            print(rows[-1], flush=True)
        # End-to-end speed of the shipped default through the public API (table in memory).
        default = StaticEmbedder(Path(cache))
        default.pooling_table()
        start = time.perf_counter()
        default.embed(texts, ids)
        end_to_end = len(texts) / (time.perf_counter() - start)
    result = {
        "pairs": len(zh),
        "source": str(args.pairs.name),
        "tokenizer": tokenizer_name,
        "tokenize_s": round(tokenize_s, 2),
        "table_build_s": build_s,
        "default_embed_abstracts_per_s": round(end_to_end),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        # Timings are only comparable on an otherwise idle machine.
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
        "variants": rows,
    }
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "static_table.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    lines = [
        f"# Static USE table — {len(zh)} ChinaXiv pairs, tokenizer {tokenizer_name}",
        "",
        f"Table build: {build_s} s. Default `static` embed: {round(end_to_end)} abstracts/s.",
        "",
        "| variant | recall@1 zh→en | recall@1 en→zh | abstracts/s |",
        "|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['variant']} | {row['recall@1 zh→en']} | {row['recall@1 en→zh']} | "
            f"{row['abstracts/s (tokenize + pool)']} |"
        )
    (out / "static_table.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
