"""The e5 backend (issue 22, parts 1–2): which prefix, how fast, and language-centred vectors.

On a seeded sample of each bench corpus (title + abstract): KMeans told the sample's class
count, NMI mean of 3 seeds, for e5 with the ``passage:`` and the ``query:`` prefix beside USE
and ``distilled``; throughput of each (documents per second, this process, this machine). On
held-out ChinaXiv pairs (both abstracts): cross-lingual recall@1 (zh → en, en → zh) of each
backend's vectors as they are and with each language's mean vector removed (the pairs' own
means: what a mixed corpus's run would subtract).

Vectors are cached under ``--cache`` (one ``.npy`` per corpus and backend), so a killed run
resumes. Writes ``bench/results/e5.{json,md}``.

Usage: ``python bench/e5.py [--docs 300] [--pairs 200] [--cache /tmp/e5-bench]``
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import normalized_mutual_info_score

from data import BENCH_DATA, CORPORA

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SEED = 20261207
PAIRS_FILE = "chinaxiv_pairs.jsonl.gz"
BACKENDS = {
    "use": {"backend": "use"},
    "distilled": {"backend": "distilled"},
    "e5 passage": {"backend": "e5", "e5_prefix": "passage"},
    "e5 query": {"backend": "e5", "e5_prefix": "query"},
}


def sample(corpus, n: int) -> tuple[list[str], list[str]]:
    with gzip.open(BENCH_DATA / corpus.file, "rt") as handle:
        rows = [json.loads(line) for line in handle]
    rng = np.random.default_rng(SEED)
    chosen = sorted(rng.choice(len(rows), size=min(n, len(rows)), replace=False).tolist())
    texts = [f"{rows[i].get('title') or ''}\n{rows[i].get('abstract') or ''}" for i in chosen]
    labels = [str(rows[i][corpus.label_field]).split(".")[0] for i in chosen]
    return texts, labels


def pairs(n: int) -> tuple[list[str], list[str]]:
    zh, en = [], []
    with gzip.open(BENCH_DATA / PAIRS_FILE, "rt") as handle:
        for line, _ in zip(handle, range(n), strict=False):
            row = json.loads(line)
            zh.append(row["zh"])
            en.append(row["en"])
    return zh, en


def vectors(name: str, texts: list[str], key: str, cache: Path) -> tuple[np.ndarray, float]:
    """The backend's vectors of ``texts`` (cached) and its documents per second (``nan`` when
    read from the cache)."""
    from topics.config import EmbeddingSection
    from topics.embed.base import make_embedder

    path = cache / f"{key}-{name.replace(' ', '_')}.npy"
    if path.is_file():
        return np.load(path), float("nan")
    embedder = make_embedder(EmbeddingSection(**BACKENDS[name]))
    embedder.embed(texts[:2], ["a", "b"])  # load the model outside the timing
    began = time.perf_counter()
    out = embedder.embed(texts, [str(i) for i in range(len(texts))])
    rate = len(texts) / (time.perf_counter() - began)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, out)
    (cache / f"{path.stem}.rate").write_text(str(rate))
    return out, rate


def kmeans_nmi(matrix: np.ndarray, labels: list[str]) -> float:
    k = len(set(labels))
    scores = [
        normalized_mutual_info_score(
            labels, KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(matrix)
        )
        for seed in range(3)
    ]
    return round(float(np.mean(scores)), 3)


def recall_at_1(zh: np.ndarray, en: np.ndarray) -> tuple[float, float]:
    def unit(m: np.ndarray) -> np.ndarray:
        return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)

    similarity = unit(zh) @ unit(en).T
    right = np.arange(len(zh))
    return (
        round(float((similarity.argmax(axis=1) == right).mean()), 3),
        round(float((similarity.argmax(axis=0) == right).mean()), 3),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/e5-bench"))
    args = parser.parse_args()
    report: dict = {"kmeans_nmi": {}, "docs_per_s": {}, "recall_at_1": {}}
    for corpus in CORPORA:
        texts, labels = sample(corpus, args.docs)
        for name in BACKENDS:
            matrix, rate = vectors(name, texts, f"{corpus.name}-{args.docs}", args.cache)
            report["kmeans_nmi"].setdefault(corpus.name, {})[name] = kmeans_nmi(matrix, labels)
            if rate == rate:
                report["docs_per_s"].setdefault(name, {})[corpus.name] = round(rate, 1)
            print(corpus.name, name, report["kmeans_nmi"][corpus.name][name], flush=True)
    zh_texts, en_texts = pairs(args.pairs)
    for name in BACKENDS:
        zh, _ = vectors(name, zh_texts, f"pairs-zh-{args.pairs}", args.cache)
        en, _ = vectors(name, en_texts, f"pairs-en-{args.pairs}", args.cache)
        raw = recall_at_1(zh, en)
        centred = recall_at_1(zh - zh.mean(axis=0), en - en.mean(axis=0))
        report["recall_at_1"][name] = {"raw": raw, "language_centred": centred}
        print(name, raw, centred, flush=True)
    for name in BACKENDS:  # rates measured in earlier, resumed runs
        for corpus in CORPORA:
            stored = args.cache / f"{corpus.name}-{args.docs}-{name.replace(' ', '_')}.rate"
            if stored.is_file():
                rate = round(float(stored.read_text()), 1)
                report["docs_per_s"].setdefault(name, {}).setdefault(corpus.name, rate)
    report["date"] = datetime.now(UTC).isoformat(timespec="seconds")
    report["machine"] = f"{platform.machine()}, {platform.python_version()}, 2 cores"
    report["sample"] = {"docs_per_corpus": args.docs, "pairs": args.pairs, "seed": SEED}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "e5.json").write_text(json.dumps(report, indent=1) + "\n")
    lines = [
        "# e5 beside USE and distilled (`bench/e5.py`)",
        "",
        f"{report['date']}, {report['machine']}. {args.docs} seeded abstracts per bench corpus "
        f"(title + abstract; arXiv by archive), KMeans told the sample's class count, NMI mean "
        f"of 3 seeds; {args.pairs} ChinaXiv pairs (the file's first rows) for recall@1, raw and "
        "with each language's mean vector removed.",
        "",
        "| backend | " + " | ".join(c.name for c in CORPORA) + " | recall@1 zh→en / en→zh "
        "| centred | docs/s |",
        "|---|" + "---|" * (len(CORPORA) + 3),
    ]
    for name in BACKENDS:
        nmi = " | ".join(f"{report['kmeans_nmi'][c.name][name]:.3f}" for c in CORPORA)
        recall = report["recall_at_1"][name]
        rates = list(report["docs_per_s"].get(name, {}).values())
        speed = f"{min(rates):.1f}–{max(rates):.1f}" if rates else "—"
        lines.append(
            f"| {name} | {nmi} | {recall['raw'][0]:.3f} / {recall['raw'][1]:.3f} | "
            f"{recall['language_centred'][0]:.3f} / {recall['language_centred'][1]:.3f} | "
            f"{speed} |"
        )
    (RESULTS / "e5.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
