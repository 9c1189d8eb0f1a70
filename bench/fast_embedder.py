"""The fast embedders side by side: `use`, `static` and `distilled` (issue 11), with e5 and
other distilled tables (issue 22: ``--e5``, ``--tables name=path,...``).

Everything is measured on the held-out **test** split of ``bench/distill_data.py`` (never
trained or tuned on): 622 ChinaXiv pairs (1,244 texts) and 1,000 texts of each bench corpus.

* throughput: each backend's ``embed`` over all 4,244 test texts in the pipeline's batches
  (``use`` on a 256-text sample), plus the pipeline's embed stage with a fresh cache;
* cross-lingual: recall@1 both ways, and the share of pairs whose two sides land in one topic
  when the pipeline runs ``configs/fast.yaml`` (only the backend changed) on the 1,244 texts,
  mean of three seeds (`use` also without the pipeline's translation alignment, to compare the
  vectors alone);
* monolingual: KMeans told the true k (mean of 3 seeds), and the fast preset's ``nmi_all``;
* option (a) of the issue: a table fitted at run time on 1,000 of the user's own texts.

USE (and e5) vectors come from the cache that ``bench/train_distilled.py teacher`` filled.
Usage: ``python bench/fast_embedder.py [--cache-dir .topics-cache] [--seeds 42,43,44]
[--e5] [--tables distilled-e5=path.npz]``.
Writes ``bench/results/fast_embedder.json`` and ``.md``; ~15 min on 2 shared cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import train_distilled as train  # noqa: E402
from distill_data import SOURCES, Doc, all_docs, kmeans_nmi  # noqa: E402

from topics.config import load_config  # noqa: E402
from topics.corpus import load_corpus  # noqa: E402
from topics.crosslingual import retrieval_recall_at_1  # noqa: E402
from topics.embed.base import l2_normalize  # noqa: E402
from topics.embed.centring import centre, language_means  # noqa: E402
from topics.embed.distilled import DistilledEmbedder, load_artifact  # noqa: E402
from topics.embed.static import StaticEmbedder  # noqa: E402
from topics.embed.use import UseEmbedder  # noqa: E402
from topics.pipeline import SilentProgress, embed_corpus, run_pipeline  # noqa: E402

ROOT = HERE.parent
FAST = ROOT / "configs" / "fast.yaml"
RESULTS = HERE / "results"
BACKENDS = ["use", "static", "distilled"]  # e5 and other tables join from the command line
FAST_BACKENDS = ["static", "distilled"]
TARGETS = {"co_assigned": 0.85, "recall": 0.90, "nmi_gap": 0.03, "docs_per_s": 3000}
RUNTIME_SAMPLE = 1000
# Full USE over the 14,900 teacher texts while four other jobs shared the 2 cores (39 min).
TEACHER_RATE = 6.4


def write_jsonl(docs: list[Doc], path: Path) -> Path:
    """Documents as the JSON Lines the loader reads (``label`` = the scored label)."""
    with path.open("w", encoding="utf-8") as stream:
        for doc in docs:
            record = {"id": doc.id, "abstract": doc.text, "label": doc.label}
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


# Other distilled tables by name (``--tables``): label → artifact path.
TABLES: dict[str, Path] = {}


def embedder_of(backend: str, cache_dir: Path):  # noqa: ANN201
    """The embedder behind a fast backend label (``static``, ``distilled`` or a table's)."""
    if backend == "static":
        return StaticEmbedder(cache_dir)
    return DistilledEmbedder(TABLES[backend]) if backend in TABLES else DistilledEmbedder()


def vectors_of(backend: str, docs: list[Doc], cache_dir: Path) -> np.ndarray:
    """Vectors of ``docs`` (USE and e5 from the cache, the fast backends computed)."""
    texts = [d.text for d in docs]
    if backend in ("use", "e5"):
        return l2_normalize(train.cached_vectors(docs, cache_dir, backend))
    return embedder_of(backend, cache_dir).embed(texts, texts)


def backend_overrides(backend: str) -> list[str]:
    """Config overrides that select ``backend`` (a table label runs `distilled` on its path)."""
    if backend in TABLES:
        return ["embedding.backend=distilled", f"embedding.path={TABLES[backend]}"]
    return [f"embedding.backend={backend}"]


def throughput(test: dict[str, list[Doc]], cache_dir: Path, workdir: Path) -> dict[str, Any]:
    """Abstracts/s of ``embed`` per backend (best of 3) and of the pipeline's embed stage."""
    docs = list(chain.from_iterable(test.values()))
    texts = [d.text for d in docs]
    result: dict[str, Any] = {"texts": len(texts)}
    for backend in FAST_BACKENDS:
        embedder = embedder_of(backend, cache_dir)
        load_artifact.cache_clear()
        began = time.perf_counter()
        embedder.embed(texts[:1], texts[:1])  # one-off: table load (static: from the cache)
        load = time.perf_counter() - began
        runs = []
        for _ in range(3):
            began = time.perf_counter()
            embedder.embed(texts, texts)
            runs.append(time.perf_counter() - began)
        per_source = {}
        for name, part in test.items():
            began = time.perf_counter()
            embedder.embed([d.text for d in part], [d.id for d in part])
            per_source[name] = round(len(part) / (time.perf_counter() - began))
        result[backend] = {
            "load_s": round(load, 2),
            "docs_per_s": round(len(texts) / min(runs)),
            "docs_per_s_by_corpus": per_source,
        }
    sample = [d.text for part in test.values() for d in part[:64]]
    began = time.perf_counter()
    UseEmbedder().embed(sample, sample)
    result["use"] = {"docs_per_s": round(len(sample) / (time.perf_counter() - began), 1)}
    if "e5" in BACKENDS:
        from topics.embed.e5 import E5Embedder

        small = [d.text for part in test.values() for d in part[:16]]
        began = time.perf_counter()
        E5Embedder().embed(small, small)
        result["e5"] = {"docs_per_s": round(len(small) / (time.perf_counter() - began), 1)}
    corpus_file = write_jsonl(docs, workdir / "all_test.jsonl")
    # A fresh vector store, but static's one-off table build (~20-100 s) is not the embed rate.
    (workdir / "fresh").mkdir()
    (workdir / "fresh" / "static").symlink_to(cache_dir / "static")
    for backend in FAST_BACKENDS:
        config = fast_config(corpus_file, backend, workdir, "stage", cache=workdir / "fresh")
        corpus = load_corpus(config.corpus)
        began = time.perf_counter()
        embed_corpus(corpus, config, SilentProgress())
        seconds = time.perf_counter() - began
        result[backend]["pipeline_embed_stage_docs_per_s"] = round(len(corpus) / seconds)
    return result


def fast_config(
    corpus_file: Path,
    backend: str,
    workdir: Path,
    name: str,
    seed: int = 42,
    cache: Path | None = None,
    vectors: Path | None = None,
):
    """``configs/fast.yaml`` on ``corpus_file`` with only the backend (and seed) changed."""
    overrides = [
        f"corpus.paths={json.dumps([str(corpus_file)])}",
        f"cache.dir={cache}",
        f"output.dir={workdir / 'reports'}",
        f"run.name={name}",
        f"run.seed={seed}",
        "output.report=false",
        "output.save_model=false",
    ]
    if vectors is not None:
        overrides += ["embedding.backend=precomputed", f"embedding.path={vectors}"]
    else:
        overrides += backend_overrides(backend)
    return load_config(FAST, overrides)


def save_parquet(docs: list[Doc], vectors: np.ndarray, path: Path) -> Path:
    """Vectors keyed by document id (a ``.npy`` is matched by row order, which is ambiguous)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    embedding = pa.array([row.tolist() for row in vectors.astype(np.float32)])
    pq.write_table(pa.table({"id": [d.id for d in docs], "embedding": embedding}), path)
    return path


def co_assignment(
    pairs: list[Doc], cache_dir: Path, workdir: Path, seeds: list[int]
) -> dict[str, Any]:
    """Share of test pairs with both sides in one topic under the fast preset, per seed."""
    corpus_file = write_jsonl(pairs, workdir / "pairs.jsonl")
    use_vectors = save_parquet(pairs, vectors_of("use", pairs, cache_dir), workdir / "use.parquet")
    runs = {
        "use": {},
        "use, vectors only (no translation alignment)": {"vectors": use_vectors},
        **{backend: {} for backend in BACKENDS if backend != "use"},
    }
    result = {}
    for label, extra in runs.items():
        backend = label.split(",")[0]
        per_seed, topics, seconds = [], [], []
        for seed in seeds:
            config = fast_config(
                corpus_file, backend, workdir, f"pairs-{backend}-{seed}", seed, cache_dir, **extra
            )
            began = time.perf_counter()
            run = run_pipeline(config)
            seconds.append(time.perf_counter() - began)
            position = {doc_id: row for row, doc_id in enumerate(run.corpus.ids)}
            labels = np.asarray(run.topics.assignments)
            zh = labels[[position[d.id] for d in pairs[0::2]]]
            en = labels[[position[d.id] for d in pairs[1::2]]]
            per_seed.append(float(np.mean((zh == en) & (zh != -1))))
            topics.append(len(set(labels.tolist()) - {-1}))
        result[label] = {
            "co_assigned": round(float(np.mean(per_seed)), 4),
            "per_seed": [round(x, 4) for x in per_seed],
            "topics": topics,
            "pipeline_s": round(float(np.mean(seconds)), 1),
        }
        print(f"co-assignment {label}: {result[label]}", flush=True)
    return result


def pipeline_nmi(
    docs: list[Doc], name: str, cache_dir: Path, workdir: Path
) -> dict[str, float | None]:
    """``nmi_all`` of the fast preset on one bench test set, per backend (seed 42)."""
    corpus_file = write_jsonl(docs, workdir / f"{name}.jsonl")
    scores = {}
    for backend in BACKENDS:
        run = run_pipeline(
            fast_config(corpus_file, backend, workdir, f"{name}-{backend}", 42, cache_dir)
        )
        value = run.manifest.get("metrics", {}).get("nmi_all")
        scores[backend] = None if value is None else round(float(value), 4)
    return scores


def runtime_fit(train_sets: dict[str, list[Doc]], test: dict[str, list[Doc]], cache_dir: Path):
    """Option (a): fit on 1,000 of a corpus's own texts at run time, score on its test set."""
    weights = train.sif_weights(train.piece_log_probs(), train.SIF_A).astype(np.float64)
    prior = train.prior_table(cache_dir)
    result = {}
    for name, docs in train_sets.items():
        sample = docs[:RUNTIME_SAMPLE]  # pairs: 500 pairs, both sides
        targets = train.cached_teacher(sample, cache_dir)
        began = time.perf_counter()
        features = train.mean_features(train.piece_counts([d.text for d in sample]), weights)
        table, bias, _ = train.fit_table(features, targets, prior, train.RIDGE)
        fit_seconds = time.perf_counter() - began
        held_out = test[name]
        pooled = train.mean_features(train.piece_counts([d.text for d in held_out]), weights)
        vectors = l2_normalize(pooled @ table + bias)
        entry: dict[str, Any] = {"fit_s": round(fit_seconds, 1), "sample": len(sample)}
        if name == "pairs":
            zh_to_en, en_to_zh = retrieval_recall_at_1(vectors[0::2], vectors[1::2])
            entry.update(recall_zh_en=round(zh_to_en, 4), recall_en_zh=round(en_to_zh, 4))
        else:
            entry["kmeans_nmi"] = round(kmeans_nmi(vectors, [d.label for d in held_out]), 4)
        result[name] = entry
        del table
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-dir", type=Path, default=ROOT / ".topics-cache")
    parser.add_argument("--seeds", default="42,43,44")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--e5", action="store_true", help="add e5 (its vectors cached)")
    parser.add_argument("--tables", default="", help="more distilled tables: name=path,...")
    parser.add_argument("--no-runtime-fit", action="store_true", help="skip option (a)")
    args = parser.parse_args()
    cache_dir = args.cache_dir.resolve()
    if args.e5:
        BACKENDS.insert(1, "e5")
    for item in filter(None, args.tables.split(",")):
        name, path = item.split("=", 1)
        TABLES[name] = Path(path).resolve()
        BACKENDS.append(name)
        FAST_BACKENDS.append(name)
    seeds = [int(s) for s in args.seeds.split(",")]
    test = all_docs("test")
    report: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared), no GPU",
        "distilled": DistilledEmbedder().info(),
        "backends": list(BACKENDS),
        "tables": {name: DistilledEmbedder(path).info() for name, path in TABLES.items()},
        "test_texts": {name: len(docs) for name, docs in test.items()},
        "fast_preset": FAST.read_text(encoding="utf-8"),
    }
    pairs = test["pairs"]
    report["recall"], report["recall_centred"] = {}, {}
    langs = [d.lang for d in pairs]
    for backend in BACKENDS:
        vectors = vectors_of(backend, pairs, cache_dir)
        zh_to_en, en_to_zh = retrieval_recall_at_1(vectors[0::2], vectors[1::2])
        report["recall"][backend] = {"zh_en": round(zh_to_en, 4), "en_zh": round(en_to_zh, 4)}
        centred = centre(vectors, langs, language_means(vectors, langs))
        zh_to_en, en_to_zh = retrieval_recall_at_1(centred[0::2], centred[1::2])
        report["recall_centred"][backend] = {
            "zh_en": round(zh_to_en, 4),
            "en_zh": round(en_to_zh, 4),
        }
    report["kmeans_nmi"] = {
        source.name: {
            backend: round(
                kmeans_nmi(
                    vectors_of(backend, test[source.name], cache_dir),
                    [d.label for d in test[source.name]],
                ),
                4,
            )
            for backend in BACKENDS
        }
        for source in SOURCES
    }
    print(json.dumps({"recall": report["recall"], "kmeans": report["kmeans_nmi"]}), flush=True)
    with tempfile.TemporaryDirectory(prefix="fast-embedder-") as temp:
        workdir = Path(temp)
        report["throughput"] = throughput(test, cache_dir, workdir)
        print(json.dumps(report["throughput"]), flush=True)
        report["co_assignment"] = co_assignment(pairs, cache_dir, workdir, seeds)
        report["pipeline_nmi"] = {
            source.name: pipeline_nmi(test[source.name], source.name, cache_dir, workdir)
            for source in SOURCES
        }
        print(json.dumps(report["pipeline_nmi"]), flush=True)
    if not args.no_runtime_fit:
        report["runtime_fit"] = runtime_fit(all_docs("train"), test, cache_dir)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "fast_embedder.json").write_text(
        json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (args.out / "fast_embedder.md").write_text(markdown(report), encoding="utf-8")


def markdown(report: dict[str, Any]) -> str:
    """The results as the Markdown page committed next to the JSON."""
    info = report["distilled"]
    speed = report["throughput"]
    backends = report.get("backends", BACKENDS)
    fast = [b for b in backends if b not in ("use", "e5")]
    lines = [
        "# Fast embedders: " + " vs ".join(f"`{b}`" for b in backends) + " (issues 11, 22)",
        "",
        f"{report['date']} · {report['machine']} · `python bench/fast_embedder.py` · held-out "
        f"test split only ({', '.join(f'{k} {v}' for k, v in report['test_texts'].items())} "
        "texts; never trained or tuned on).",
        "",
        f"`distilled`: {info['pieces_kept']:,} pieces × {info['dimensions']} int8 "
        f"(`{Path(DistilledEmbedder().artifact).name}`), ridge {info['ridge']}, "
        f"{info['language_dims_removed']} language directions removed; trained on "
        f"{sum(info['training_texts'].values()):,} texts "
        f"({', '.join(f'{k} {v}' for k, v in info['training_texts'].items())}).",
    ]
    for name, table in report.get("tables", {}).items():
        lines.append(
            f"`{name}`: the same fit to `{table['teacher']}` ({table['pieces_kept']:,} pieces × "
            f"{table['dimensions']})."
        )
    lines += [
        "",
        "| | " + " | ".join(backends) + " | target |",
        "|---|" + "---|" * len(backends) + "---|",
    ]
    recall = report["recall"]
    lines.append(
        "| recall@1 zh→en / en→zh | "
        + " | ".join(f"{recall[b]['zh_en']:.3f} / {recall[b]['en_zh']:.3f}" for b in backends)
        + " | ≥ 0.90 |"
    )
    if "recall_centred" in report:
        centred = report["recall_centred"]
        lines.append(
            "| recall@1, each language's mean removed | "
            + " | ".join(f"{centred[b]['zh_en']:.3f} / {centred[b]['en_zh']:.3f}" for b in backends)
            + " | |"
        )
    co = report["co_assignment"]
    lines.append(
        "| pairs in one topic, fast preset (mean of seeds) | "
        + " | ".join(f"{co[b]['co_assigned']:.3f}" for b in backends)
        + " | ≥ 0.85 (issue 22: ≥ 0.90) |"
    )
    for source, scores in report["kmeans_nmi"].items():
        lines.append(
            f"| KMeans NMI (true k), {source} | "
            + " | ".join(f"{scores[b]:.3f}" for b in backends)
            + " | within 0.03 of use |"
        )
    for source, scores in report["pipeline_nmi"].items():
        lines.append(
            f"| fast preset nmi_all, {source} | "
            + " | ".join("—" if scores[b] is None else f"{scores[b]:.3f}" for b in backends)
            + " | |"
        )

    def rate(backend: str, key: str = "docs_per_s") -> str:
        value = speed.get(backend, {}).get(key)
        return "—" if value is None else f"{value:,}"

    lines.append(
        f"| abstracts/s (embed, {speed['texts']:,} test texts; use/e5 on a sample) | "
        + " | ".join(rate(b) for b in backends)
        + " | ≥ 3,000 (issue 22: ≥ 5,000 for the stage) |"
    )
    lines.append(
        "| abstracts/s, pipeline embed stage (fresh cache) | "
        + " | ".join(rate(b, "pipeline_embed_stage_docs_per_s") for b in backends)
        + " | |"
    )
    lines.append(
        "| one-off load | "
        + " | ".join("—" if b not in fast else f"{speed[b]['load_s']} s" for b in backends)
        + " | |"
    )
    unaligned = co["use, vectors only (no translation alignment)"]
    lines += [
        "",
        "## Details",
        "",
        "- Pairs in one topic per seed: "
        + "; ".join(f"{b} {co[b]['per_seed']} ({co[b]['topics']} topics)" for b in backends)
        + f". `use` vectors without the pipeline's translation alignment (only `use` runs it): "
        f"{unaligned['co_assigned']:.3f} {unaligned['per_seed']}.",
        "- Throughput by corpus (abstracts/s): "
        + "; ".join(
            f"{b} " + ", ".join(f"{k} {v:,}" for k, v in speed[b]["docs_per_s_by_corpus"].items())
            for b in fast
        )
        + ". English OHSUMED abstracts (≈1,150 characters) are the slowest: the C++ "
        "SentencePiece encode is most of the time.",
    ]
    if "runtime_fit" not in report:
        return "\n".join(lines) + "\n"
    lines += [
        "",
        "## Option (a): fit at run time on the user's corpus",
        "",
        f"Same ridge fit on {RUNTIME_SAMPLE:,} texts of one corpus's own train split (no "
        "language projection, no compression), scored on its test split:",
        "",
        "| corpus | run-time fit | shipped `distilled` | fit s | USE cost for the sample |",
        "|---|---|---|---|---|",
    ]
    use_rate = speed["use"]["docs_per_s"]
    for name, entry in report["runtime_fit"].items():
        if name == "pairs":
            fitted = f"recall {entry['recall_zh_en']:.3f} / {entry['recall_en_zh']:.3f}"
            shipped = (
                f"recall {recall['distilled']['zh_en']:.3f} / {recall['distilled']['en_zh']:.3f}"
            )
        else:
            fitted = f"KMeans NMI {entry['kmeans_nmi']:.3f}"
            shipped = f"KMeans NMI {report['kmeans_nmi'][name]['distilled']:.3f}"
        cost = (
            f"{entry['sample'] / use_rate:.0f} s at {use_rate} abstracts/s, "
            f"{entry['sample'] / TEACHER_RATE / 60:.1f} min at {TEACHER_RATE}"
        )
        lines.append(f"| {name} | {fitted} | {shipped} | {entry['fit_s']} | {cost} |")
    gaps = [
        entry["kmeans_nmi"] - report["kmeans_nmi"][name]["distilled"]
        for name, entry in report["runtime_fit"].items()
        if name != "pairs"
    ]
    lines += [
        "",
        "Choice: the shipped table (b). The run-time fit (a) costs the USE time for the sample "
        "before anything else can run, makes every vector depend on the corpus (a per-corpus "
        "cache instead of per-document vectors) and, fitted on 1,000 texts, retrieves "
        f"translations less well; on the monolingual corpora it differs by {min(gaps):+.3f} to "
        f"{max(gaps):+.3f} NMI.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
