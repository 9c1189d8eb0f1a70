"""Quality benchmark: our presets vs plain BERTopic on the same embeddings, per bench corpus.

For each corpus (the seed sample, CSL zh, OHSUMED en, arXiv en) this runs, side by side:

- ``default`` and ``fast``: ``configs/default.yaml`` / ``configs/fast.yaml`` through
  :func:`topics.pipeline.run_pipeline` (dashboard and model saving off, so the time is the
  topic model: load, embed from cache, UMAP, HDBSCAN, topic words, metrics, 2-D map);
- ``bertopic[<preset>]``: plain BERTopic 0.17.4 with its default UMAP/HDBSCAN settings, given
  the preset's embeddings (read from the pipeline's embedding cache), ``CountVectorizer()``
  for English and ``CountVectorizer(tokenizer=jieba.lcut)`` (its FAQ's advice) for Chinese or
  mixed corpora, ``language="multilingual"`` so Chinese is not stripped;
- ``kmeans-true-k[<preset>]``: KMeans told the number of labels, on the same embeddings (a
  reference for NMI only).

Every system is scored here by the same code on the same data: NMI/ARI over all documents
(outliers form one more cluster); NPMI of the top-10 words and hygiene over one reference
document-term matrix (each document's tokens under our tokenizer plus BERTopic's analyzer, so
no system's words go missing); diversity over the top-25 words. Each system runs in a fresh
``spawn`` subprocess so ``seconds`` (wall clock of the fit, embeddings already cached) and
``peak_rss_mb`` (the child's ``ru_maxrss``, imports included) belong to it alone. The UMAP
cache is a fresh temporary folder per run (embeddings are shared), so times are cold-UMAP.

Full USE embeds 16–57 abstracts/s on 2 cores, so each bench corpus is a fixed random subset
(``--size``, default 2,000; see ``bench/data.py``); embeddings come from ``--cache``.

Usage: ``python bench/quality.py [--size 2000] [--corpora sample,csl_zh,...] [--out DIR]``
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from data import CORPORA, SEED_DATA, BenchCorpus, bench_config, write_subset  # noqa: E402

PRESETS = ("default", "fast")
DEFAULT_CACHE = ROOT / ".topics-cache"
TOP_WORDS, DIVERSITY_WORDS, MIN_DF = 10, 25, 2
SAMPLE = BenchCorpus("sample", "", None, None, "mixed")


# --------------------------------------------------------------------------------------------
# Systems (each runs in a fresh subprocess; arguments and results are plain data)


def preset_config(preset: str, corpus_path: Path, label_field: str, cache: Path, out: Path) -> Any:
    """The preset's config pointed at one corpus, writing nothing but the run folder."""
    return bench_config(
        preset, corpus_path, out, cache, preset, f"corpus.fields.label={label_field}"
    )


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def run_preset(preset: str, corpus_path: str, label_field: str, cache: str, out: str) -> dict:
    """Run one preset through the pipeline; return assignments, words, seconds and RSS."""
    from topics.pipeline import run_pipeline

    config = preset_config(preset, Path(corpus_path), label_field, Path(cache), Path(out))
    began = time.perf_counter()
    result = run_pipeline(config)
    seconds = time.perf_counter() - began
    words = {int(t): [w for w, _ in ws] for t, ws in result.topics.words.items() if t != -1}
    return {
        "assignments": result.topics.assignments.tolist(),
        "words": words,
        "seconds": round(seconds, 1),
        "peak_rss_mb": _peak_rss_mb(),
        "pipeline_metrics": result.manifest["metrics"],
        "settings": result.manifest["settings"],
        "timings": result.manifest["timings"],
    }


def preset_vectors(preset: str, corpus_path: str, label_field: str, cache: str) -> np.ndarray:
    """The preset's document vectors, from the embedding cache (computed there if missing)."""
    from topics.corpus import load_corpus
    from topics.pipeline import SilentProgress, embed_corpus

    config = preset_config(preset, Path(corpus_path), label_field, Path(cache), Path(cache))
    corpus = load_corpus(config.corpus)
    return np.asarray(embed_corpus(corpus, config, SilentProgress()).vectors, dtype=np.float32)


def run_bertopic(
    preset: str, corpus_path: str, label_field: str, cache: str, chinese: bool, seed: int
) -> dict:
    """Plain BERTopic with default UMAP/HDBSCAN on the preset's embeddings."""
    import logging

    from bertopic import BERTopic
    from hdbscan import HDBSCAN
    from sklearn.feature_extraction.text import CountVectorizer
    from umap import UMAP

    from topics.corpus import load_corpus

    vectors = preset_vectors(preset, corpus_path, label_field, cache)
    config = preset_config(preset, Path(corpus_path), label_field, Path(cache), Path(cache))
    texts = load_corpus(config.corpus).texts
    if chinese:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        vectorizer = CountVectorizer(tokenizer=jieba.lcut)
    else:
        vectorizer = CountVectorizer()
    model = BERTopic(
        language="multilingual",
        # BERTopic's own defaults, spelled out only to fix the seed (BERTopic #47).
        umap_model=UMAP(
            n_neighbors=15,
            n_components=5,
            min_dist=0.0,
            metric="cosine",
            low_memory=False,
            random_state=seed,
        ),
        hdbscan_model=HDBSCAN(
            min_cluster_size=10,
            metric="euclidean",
            cluster_selection_method="eom",
            prediction_data=True,
        ),
        vectorizer_model=vectorizer,
        # Default is 10; 25 only so that diversity (top-25) can be computed. Ranking unchanged.
        top_n_words=DIVERSITY_WORDS,
    )
    logging.getLogger("BERTopic").setLevel(logging.WARNING)
    began = time.perf_counter()
    assignments, _ = model.fit_transform(texts, embeddings=vectors)
    seconds = time.perf_counter() - began
    words = {
        int(t): [str(w) for w, s in model.get_topic(t) or [] if float(s) > 0]
        for t in sorted(set(assignments) - {-1})
    }
    return {
        "assignments": [int(a) for a in assignments],
        "words": words,
        "seconds": round(seconds, 1),
        "peak_rss_mb": _peak_rss_mb(),
        "analyzer_tokens": [sorted(set(vectorizer.build_analyzer()(t))) for t in texts],
    }


def run_kmeans(
    preset: str, corpus_path: str, label_field: str, cache: str, k: int, seed: int
) -> dict:
    """KMeans told the true number of labels, on the preset's embeddings."""
    from sklearn.cluster import KMeans

    vectors = preset_vectors(preset, corpus_path, label_field, cache)
    began = time.perf_counter()
    assignments = KMeans(n_clusters=k, n_init=5, random_state=seed).fit_predict(vectors)
    return {
        "assignments": assignments.tolist(),
        "words": {},
        "seconds": round(time.perf_counter() - began, 1),
        "peak_rss_mb": _peak_rss_mb(),
    }


def in_fresh_process(function: Any, *args: Any) -> dict:
    """Call ``function(*args)`` in a new interpreter so its time and peak RSS are its own."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


# --------------------------------------------------------------------------------------------
# Scoring: one reference tokenization for every system


def reference_sets(texts: list[str], extra: list[list[str]]) -> list[set[str]]:
    """Per document, the tokens of our tokenizer plus any other system's analyzer tokens."""
    from topics.represent import tokenize_corpus

    ours = [set(joined.split()) for joined in tokenize_corpus(texts)]
    for tokens in extra:
        for document, more in zip(ours, tokens, strict=True):
            document.update(word.lower() for word in more)
    return ours


def score_system(
    result: dict, documents: list[set[str]], labels: list[Any] | None
) -> dict[str, float | int | None]:
    """Every benchmark metric for one system's assignments and topic words."""
    from scipy import sparse

    from topics.evaluate.metrics import (
        label_agreement,
        label_hygiene,
        npmi_coherence,
        outlier_share,
        topic_diversity,
    )
    from topics.text.stopwords import stopwords

    assignments = np.asarray(result["assignments"])
    words = {int(t): ws for t, ws in result["words"].items()}
    metrics: dict[str, Any] = {
        "topics": int(np.unique(assignments[assignments != -1]).size),
        "outlier_share": outlier_share(assignments),
    }
    if words:
        # Only the columns any topic uses are needed: a small matrix even for 10k documents.
        vocabulary = sorted({w.lower() for ws in words.values() for w in ws[:TOP_WORDS]})
        column = {w: i for i, w in enumerate(vocabulary)}
        rows, cols = [], []
        for row, document in enumerate(documents):
            for word in document & column.keys():
                rows.append(row)
                cols.append(column[word])
        doc_term = sparse.csr_matrix(
            (np.ones(len(rows)), (rows, cols)), shape=(len(documents), len(vocabulary))
        )
        frequency = dict(zip(vocabulary, np.diff(doc_term.tocsc().indptr).tolist(), strict=True))
        lowered = {t: [w.lower() for w in ws] for t, ws in words.items()}
        metrics["npmi"] = npmi_coherence(doc_term, column, lowered, top_n=TOP_WORDS)[0]
        metrics["diversity"] = topic_diversity(lowered, top_n=DIVERSITY_WORDS)
        metrics["hygiene"] = label_hygiene(
            words, stopwords(), lambda w: frequency.get(w.lower(), 0), MIN_DF, top_n=TOP_WORDS
        )
    if labels is not None:
        metrics.update(label_agreement(labels, assignments))
    return {k: _clean(v) for k, v in metrics.items()}


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 4)
    return value


# --------------------------------------------------------------------------------------------
# The benchmark


def bench_corpus(
    corpus: BenchCorpus, path: Path, cache: Path, seed: int
) -> tuple[list[dict[str, Any]], int]:
    """All systems on one corpus; returns the scored rows and the document count."""
    from topics.corpus import load_corpus

    label_field = corpus.label_field or "label"
    loaded = load_corpus(preset_config("default", path, label_field, cache, cache).corpus)
    labels = loaded.labels if corpus.label_field else None
    chinese = corpus.language in {"zh", "mixed"}
    systems: list[tuple[str, str, dict]] = []
    with tempfile.TemporaryDirectory(prefix="topics-quality-") as scratch:
        for preset in PRESETS:
            # Fresh UMAP cache per run (times stay cold), shared embedding/static-table cache.
            run_cache = Path(scratch) / f"cache-{preset}"
            run_cache.mkdir()
            for entry in cache.iterdir():
                if entry.name != "umap":
                    (run_cache / entry.name).symlink_to(entry.resolve())
            args = (preset, str(path), label_field, str(run_cache))
            systems.append((preset, preset, in_fresh_process(run_preset, *args, scratch)))
            bertopic = in_fresh_process(run_bertopic, *args, chinese, seed)
            systems.append((f"bertopic[{preset}]", preset, bertopic))
            if labels is not None and corpus.n_labels:
                kmeans = in_fresh_process(run_kmeans, *args, corpus.n_labels, seed)
                systems.append((f"kmeans-true-k[{preset}]", preset, kmeans))
            shutil.rmtree(run_cache)
    analyzer = [
        result.pop("analyzer_tokens") for _, _, result in systems if "analyzer_tokens" in result
    ]
    documents = reference_sets(loaded.texts, analyzer)
    rows = []
    for system, preset, result in systems:
        row = {"corpus": corpus.name, "system": system, "embeddings": preset}
        row |= score_system(result, documents, labels)
        row |= {"seconds": result["seconds"], "peak_rss_mb": result["peak_rss_mb"]}
        if "settings" in result:
            row["settings"] = result["settings"]
            row["timings"] = result["timings"]
        rows.append(row)
    return rows, len(loaded)


def check_targets(rows: list[dict[str, Any]], n_labels: dict[str, tuple[int, int]]) -> list[dict]:
    """Each preset vs plain BERTopic on the same embeddings, against the issue's targets."""
    checks = []
    by_key = {(r["corpus"], r["system"]): r for r in rows}
    for row in rows:
        if row["system"] not in PRESETS:
            continue
        corpus, preset = row["corpus"], row["system"]
        plain = by_key.get((corpus, f"bertopic[{preset}]"), {})
        kmeans = by_key.get((corpus, f"kmeans-true-k[{preset}]"), {})
        low, high = n_labels.get(corpus, (None, None))
        check = {"corpus": corpus, "preset": preset}
        if row.get("nmi_all") is not None and plain.get("nmi_all") is not None:
            check["nmi_gain"] = round(row["nmi_all"] - plain["nmi_all"], 4)
            check["nmi_gain_ok"] = check["nmi_gain"] >= 0.15
            check["nmi_vs_kmeans"] = round(row["nmi_all"] - kmeans.get("nmi_all", math.nan), 4)
        check["outliers_ok"] = row["outlier_share"] <= 0.10
        check["hygiene_ok"] = row.get("hygiene") == 0
        if low is not None:
            check["topics_ok"] = low / 2 <= row["topics"] <= 2 * high
        for metric in ("npmi", "diversity"):
            if row.get(metric) is not None and plain.get(metric) is not None:
                check[f"{metric}_ok"] = row[metric] >= plain[metric]
        checks.append(check)
    return checks


def markdown(report: dict[str, Any]) -> str:
    """The results as a Markdown page: header, one table, target checks."""
    columns = [
        "corpus",
        "system",
        "topics",
        "outlier_share",
        "nmi_all",
        "ari_all",
        "npmi",
        "diversity",
        "hygiene",
        "seconds",
        "peak_rss_mb",
    ]
    lines = [
        "# Quality benchmark: presets vs plain BERTopic on the same embeddings",
        "",
        f"Generated {report['date']} by `bench/quality.py` on {report['machine']['summary']}.",
        "Documents per corpus: "
        + ", ".join(f"{k} {v}" for k, v in report["documents"].items())
        + f" (bench corpora: fixed random subsets of {report['subset_size'] or 'all'} rows, "
        "seed in `bench/data.py`).",
        "NMI/ARI over all documents (outliers = one cluster); NPMI top-10 and hygiene on one "
        "reference tokenization; diversity top-25. `bertopic[p]`/`kmeans-true-k[p]` use preset "
        "p's embeddings. Seconds: wall clock of the fit with embeddings cached (presets include "
        "the 2-D map); peak RSS: each system in a fresh subprocess (ru_maxrss, imports included).",
        "",
        "| " + " | ".join(columns) + " |",
        "|" + "---|" * len(columns),
    ]
    for row in report["rows"]:
        cells = []
        for column in columns:
            value = row.get(column)
            cells.append(
                "–"
                if value is None
                else f"{value:.3f}"
                if isinstance(value, float) and column not in {"seconds", "peak_rss_mb"}
                else str(value)
            )
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "## Targets (preset vs plain BERTopic on the same embeddings)", ""]
    keys = [
        "nmi_gain",
        "nmi_gain_ok",
        "nmi_vs_kmeans",
        "outliers_ok",
        "hygiene_ok",
        "topics_ok",
        "npmi_ok",
        "diversity_ok",
    ]
    lines += ["| corpus | preset | " + " | ".join(keys) + " |", "|" + "---|" * (len(keys) + 2)]
    for check in report["targets"]:
        cells = [check["corpus"], check["preset"]] + [
            "–" if check.get(k) is None else str(check[k]) for k in keys
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += layer_sections()
    return "\n".join(lines) + "\n"


def layer_sections() -> list[str]:
    """The per-layer comparison on full corpora (``bench/layers.py``), when it has been run.

    Layers need full corpora (an overview of a 2,000-abstract subset says little), so they are
    measured by their own script; this report carries its tables, and the gap to issue 10's
    targets computed from its JSON, so one file has both.
    """
    lines: list[str] = []
    for preset in ("fast", "default"):
        table, numbers = (
            HERE / "results" / f"layers_{preset}.md",
            HERE / "results" / f"layers_{preset}.json",
        )
        if not (table.is_file() and numbers.is_file()):
            continue
        body = table.read_text(encoding="utf-8").split("\n", 1)[1].strip()
        lines += ["", f"## Topic layers, `{preset}` preset, full corpora (`bench/layers.py`)"]
        lines += ["", body, "", _layer_targets(json.loads(numbers.read_text("utf-8")))]
    for preset in ("fast", "default"):
        levers = HERE / "results" / f"fine_levers_{preset}.json"
        if levers.is_file():
            lines += ["", _lever_summary(preset, json.loads(levers.read_text("utf-8")))]
    return lines


def _lever_summary(preset: str, report: dict[str, Any]) -> str:
    """What ``bench/fine_levers.py`` found: the largest move of any one setting, and the oracle."""
    parts = []
    for name, entry in report["corpora"].items():
        rows = {row["variant"]: row for row in entry["rows"]}
        ours = rows["pipeline defaults"]
        oracle = rows["KMeans, true class count (oracle)"]["fine"]
        for field, value in ours["best_layer"].items():
            moves = [
                row["best_layer"][field] - value
                for row in entry["rows"]
                if "best_layer" in row and row is not ours
            ]
            parts.append(
                f"{name} {field}: best layer {value:.3f}, largest move of one setting "
                f"{max(moves):+.3f}, KMeans told the class count {oracle[field]:.3f}"
            )
    return (
        f"What moves the fine topics, `{preset}` (`bench/fine_levers.py` → "
        f"`bench/results/fine_levers_{preset}.md`): " + "; ".join(parts) + "."
    )


def _layer_targets(report: dict[str, Any]) -> str:
    """Best layer's NMI gain over plain BERTopic per corpus and labelling, and generic shares."""
    gains, generic = [], []
    for name, entry in report["corpora"].items():
        ours = [row for row in entry["rows"] if row["layer"] != "plain BERTopic"]
        anchor = next(row for row in entry["rows"] if row["layer"] == "plain BERTopic")
        for key in (k for k in anchor if k.startswith("nmi_")):
            best = max(row[key] for row in ours)
            gains.append(f"{name} {key[4:]} {best - anchor[key]:+.3f}")
        generic += [row["generic"] for row in ours if row.get("generic") is not None]
    worst = max(generic, default=0.0)
    return (
        "Issue 10 targets — best layer minus plain BERTopic NMI (target ≥ +.15): "
        + ", ".join(gains)
        + f"; largest generic label share on any layer {worst:.1%} (target ≤ 10%)."
    )


def machine() -> dict[str, Any]:
    """Where the numbers were taken."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = os.cpu_count()
    return {
        "cores": cores,
        "cpu": cpu,
        "python": platform.python_version(),
        "summary": f"{cores} cores ({cpu}), Python {platform.python_version()}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2000, help="rows per bench corpus (0 = all)")
    parser.add_argument("--corpora", default="sample," + ",".join(c.name for c in CORPORA))
    parser.add_argument("--data", type=Path, default=Path("/tmp/topics-bench"))
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--name", default="quality")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--markdown-only",
        action="store_true",
        help="rewrite <name>.md from <name>.json and the layer benches' results (no runs)",
    )
    args = parser.parse_args()
    if args.markdown_only:
        report = json.loads((args.out / f"{args.name}.json").read_text("utf-8"))
        (args.out / f"{args.name}.md").write_text(markdown(report), encoding="utf-8")
        print(markdown(report))
        return
    args.cache.mkdir(parents=True, exist_ok=True)
    chosen = args.corpora.split(",")
    rows, documents = [], {}
    report: dict[str, Any] = {}
    for corpus in [SAMPLE, *CORPORA]:
        if corpus.name not in chosen:
            continue
        path = SEED_DATA if corpus is SAMPLE else write_subset(corpus, args.size or None, args.data)
        began = time.perf_counter()
        corpus_rows, documents[corpus.name] = bench_corpus(corpus, path, args.cache, args.seed)
        rows += corpus_rows
        print(
            f"{corpus.name}: {len(corpus_rows)} systems in {time.perf_counter() - began:.0f} s",
            flush=True,
        )
        # Written after every corpus, so an interrupted benchmark keeps what it measured.
        report = write_report(args.out, args.name, args.size, args.seed, documents, rows)
    print(markdown(report))


def write_report(
    out: Path, name: str, size: int, seed: int, documents: dict, rows: list[dict]
) -> dict[str, Any]:
    """Write ``<name>.json`` and ``<name>.md`` under ``out``; return the report."""
    label_ranges = {"csl_zh": (13, 67), "ohsumed_en": (23, 23), "arxiv_en": (18, 18)}
    report = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": machine(),
        "subset_size": size or None,
        "documents": documents,
        "seed": seed,
        "rows": rows,
        "targets": check_targets(rows, label_ranges),
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))
    (out / f"{name}.md").write_text(markdown(report), encoding="utf-8")
    return report


if __name__ == "__main__":
    main()
