"""The overview layer's size against the subject count (issue 22, part 5).

Corpora of few and many subjects are built from the bench files: CSL by coarse discipline
(13) and a 5-discipline slice, arXiv by archive (18) and a 5-archive slice, OHSUMED (23
categories); the full label sets (CSL's 67 disciplines, arXiv's 123 categories) are scored
too, though an overview of 5–30 groups cannot reach them. Each corpus runs with both presets
and three seeds; a run keeps what the rules need (topic vectors, sizes, each document's
topic), so every rule is scored offline on the same fine topics.

A rule picks the overview's group count from the average-linkage tree of the topic vectors,
as :func:`topics.layers.build_layers` builds it. Scored per run: the count, its ratio to the
subject count (target 0.5–2×), and the NMI of the overview's groups against the subjects.

Usage::

    python bench/overview.py runs  [--work /work/overview]   # resumable, one folder per run
    python bench/overview.py rules [--work /work/overview]   # writes bench/results/overview.*
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import normalized_mutual_info_score

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from data import BENCH_DATA, bench_config, source_id  # noqa: E402
from topics.layers import (  # noqa: E402
    DECISIVE_GAP,
    MAX_OVERVIEW_SHARE,
    OVERVIEW_RANGE,
    overview_count,
)

PRESETS = ("fast", "default")
SEEDS = (42, 7, 1234)
RESULTS = HERE / "results" / "overview"


@dataclass(frozen=True)
class Slice:
    """A corpus built from one bench file: the rows whose ``field`` is in ``keep`` (all when
    ``None``), scored against ``field`` (and ``also``, reported only)."""

    name: str
    file: str
    field: str
    keep: tuple[str, ...] | None = None
    also: tuple[str, ...] = ()


# The 5-subject slices take the five largest subjects after CSL's dominant 工学 (44% of CSL)
# and arXiv's five largest archives: balanced enough that five is the right answer.
SLICES = [
    Slice("csl_5", "csl_zh.jsonl.gz", "label_coarse", ("理学", "农学", "医学", "管理学", "法学")),
    Slice("csl_13", "csl_zh.jsonl.gz", "label_coarse", None, ("label",)),
    Slice(
        "arxiv_5",
        "arxiv_sample_en.jsonl.gz",
        "label_archive",
        ("math", "astro-ph", "cond-mat", "hep-ph", "physics"),
    ),
    Slice("arxiv_18", "arxiv_sample_en.jsonl.gz", "label_archive", None, ("label",)),
    Slice("ohsumed_23", "ohsumed_en.jsonl.gz", "label"),
    # Held out: built and run after the rule was chosen on the slices above.
    Slice(
        "csl_8",
        "csl_zh.jsonl.gz",
        "label_coarse",
        ("理学", "农学", "医学", "管理学", "法学", "教育学", "经济学", "文学"),
    ),
    Slice(
        "arxiv_10",
        "arxiv_sample_en.jsonl.gz",
        "label_archive",
        (
            "math",
            "astro-ph",
            "cond-mat",
            "hep-ph",
            "physics",
            "hep-th",
            "quant-ph",
            "cs",
            "gr-qc",
            "nucl-th",
        ),
    ),  # fmt: skip
    Slice(
        "ohsumed_10",
        "ohsumed_en.jsonl.gz",
        "label",
        ("C14", "C04", "C23", "C10", "C21", "C20", "C06", "C12", "C18", "C08"),
    ),
]
HELD_OUT = ("csl_8", "arxiv_10", "ohsumed_10")


def slice_rows(spec: Slice) -> list[dict]:
    with gzip.open(BENCH_DATA / spec.file, "rt", encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    return [r for r in rows if spec.keep is None or r.get(spec.field) in spec.keep]


def run_one(spec: Slice, preset: str, seed: int, work: Path, cache: Path) -> Path:
    """Run the pipeline once and keep ``topics.npz`` (vectors, sizes, document topics)."""
    from topics.pipeline import run_pipeline

    kept = work / "kept" / f"{spec.name}-{preset}-{seed}.npz"
    if kept.exists():
        return kept
    corpus = work / "corpora" / f"{spec.name}.jsonl"
    if not corpus.exists():
        corpus.parent.mkdir(parents=True, exist_ok=True)
        rows = slice_rows(spec)
        corpus.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    name = f"{spec.name}-{preset}-{seed}"
    config = bench_config(preset, corpus, work / "runs", cache, name, f"run.seed={seed}")
    result = run_pipeline(config)
    folder = result.run_dir
    topics = pd.read_csv(folder / "topics.csv")
    documents = pd.read_parquet(folder / "documents.parquet", columns=["id", "topic"])
    fine = topics[topics["topic"] >= 0].sort_values("topic")
    kept.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        kept,
        vectors=np.load(folder / "topic_vectors.npy"),
        topic_ids=fine["topic"].to_numpy(np.int64),
        sizes=fine["size"].to_numpy(np.int64),
        document_ids=np.asarray(documents["id"].astype(str).tolist(), dtype=str),
        document_topics=documents["topic"].to_numpy(np.int64),
        seconds=np.float64(result.manifest["timings"]["total"]),
    )
    return kept


def run_all(work: Path, cache: Path) -> None:
    for seed in SEEDS:
        for preset in PRESETS:
            for spec in SLICES:
                began = time.perf_counter()
                run_one(spec, preset, seed, work, cache)
                seconds = time.perf_counter() - began
                print(f"{spec.name} {preset} {seed}: {seconds:.0f} s", flush=True)


# --- rules ---------------------------------------------------------------------------------


@dataclass
class Tree:
    """One run's fine topics and their average-linkage tree (as ``build_layers`` builds it)."""

    vectors: np.ndarray
    sizes: np.ndarray
    linkage: np.ndarray

    @classmethod
    def of(cls, vectors: np.ndarray, sizes: np.ndarray) -> Tree:
        from scipy.cluster.hierarchy import linkage

        return cls(vectors, sizes.astype(np.float64), linkage(vectors, "average", "cosine"))

    def unit(self) -> np.ndarray:
        return self.vectors / np.linalg.norm(self.vectors, axis=1, keepdims=True)

    def cut(self, count: int) -> np.ndarray:
        from scipy.cluster.hierarchy import fcluster

        return fcluster(self.linkage, t=count, criterion="maxclust")

    def largest_share(self, count: int) -> float:
        return float(np.bincount(self.cut(count), weights=self.sizes).max() / self.sizes.sum())

    def counts(self) -> list[int]:
        low, high = OVERVIEW_RANGE
        return list(range(low, min(high, len(self.sizes) - 1) + 1))

    def readable(self) -> list[int]:
        counts = self.counts()
        kept = [n for n in counts if self.largest_share(n) <= MAX_OVERVIEW_SHARE]
        return kept or counts


def pick(scores: dict[int, float]) -> int:
    """The best-scoring count; ties go to the fewer groups."""
    return max(scores, key=lambda n: (scores[n], -n))


def rule_gap(tree: Tree) -> int:
    """The rule before issue 22: the largest gap between consecutive merge heights."""
    heights, k = tree.linkage[:, 2], len(tree.sizes)
    return pick({n: heights[k - n] - heights[k - n - 1] for n in tree.readable()})


def rule_ratio(tree: Tree) -> int:
    """The largest relative gap: merge height over the height below it."""
    heights, k = tree.linkage[:, 2], len(tree.sizes)
    return pick({n: heights[k - n] / max(heights[k - n - 1], 1e-9) for n in tree.readable()})


def weighted_silhouette(distances: np.ndarray, groups: np.ndarray, weights: np.ndarray) -> float:
    """Silhouette of a grouping of the fine topics, each topic weighted by its documents."""
    labels = np.unique(groups)
    member = groups[:, None] == labels[None, :]
    mass = weights @ member  # documents per group
    # Mean distance (weighted by the other topic's documents) from each topic to each group.
    totals = distances @ (member * weights[:, None])
    own = member.argmax(axis=1)
    rows = np.arange(len(groups))
    own_mass = mass[own] - weights  # a topic is not its own neighbour
    a = np.where(own_mass > 0, totals[rows, own] / np.maximum(own_mass, 1e-12), 0.0)
    others = np.where(member, np.inf, totals / np.maximum(mass, 1e-12)[None, :])
    b = others.min(axis=1)
    score = np.where(own_mass > 0, (b - a) / np.maximum(np.maximum(a, b), 1e-12), 0.0)
    return float((score * weights).sum() / weights.sum())


def rule_silhouette(tree: Tree) -> int:
    """The cut with the best size-weighted silhouette (cosine distance between topic vectors)."""
    from sklearn.metrics.pairwise import cosine_distances

    distances = cosine_distances(tree.vectors)
    return pick(
        {n: weighted_silhouette(distances, tree.cut(n), tree.sizes) for n in tree.readable()}
    )


def rule_resampled_gap(tree: Tree, draws: int = 40, share: float = 0.8) -> int:
    """The count whose gap is largest most often over subsamples of the fine topics.

    Each draw keeps ``share`` of the topics (seeded), rebuilds the tree and votes for the
    count of its own largest gap; a gap that one topic's placement makes disappears.
    """
    rng = np.random.default_rng(0)
    votes: dict[int, int] = {}
    k = len(tree.sizes)
    for _ in range(draws):
        size = max(int(share * k), OVERVIEW_RANGE[0] + 2)
        kept = np.sort(rng.choice(k, size=size, replace=False))
        sub = Tree.of(tree.vectors[kept], tree.sizes[kept])
        if not sub.counts():
            continue
        choice = rule_gap(sub)
        votes[choice] = votes.get(choice, 0) + 1
    readable = set(tree.readable())
    votes = {n: v for n, v in votes.items() if n in readable} or {rule_gap(tree): 1}
    return pick(votes)


def rule_shipped(tree: Tree, decisive_gap: float = DECISIVE_GAP, quantile: float = 0.2) -> int:
    """:func:`topics.layers.overview_count` with other settings: a gap ``decisive_gap`` times
    every other decides, else the cut at ``quantile`` of document pairs' topic distance
    (``decisive_gap=inf``: the distance cut alone)."""
    return overview_count(
        tree.linkage, tree.unit(), tree.sizes, tree.largest_share, decisive_gap, quantile
    )


RULES: dict[str, Callable[[Tree], int]] = {
    "largest gap (before)": rule_gap,
    "relative gap": rule_ratio,
    "silhouette": rule_silhouette,
    "resampled gap": rule_resampled_gap,
    "document-pair q.15": lambda tree: rule_shipped(tree, math.inf, 0.15),
    "document-pair q.20": lambda tree: rule_shipped(tree, math.inf, 0.20),
    "document-pair q.25": lambda tree: rule_shipped(tree, math.inf, 0.25),
    "decisive gap ×1.5, else q.20": lambda tree: rule_shipped(tree, 1.5),
    "shipped: decisive gap ×2, else q.20": rule_shipped,
}


def overview_nmi(tree: Tree, count: int, kept: dict, truth: np.ndarray) -> float:
    groups = dict(zip(kept["topic_ids"].tolist(), tree.cut(count).tolist(), strict=True))
    per_document = np.array([groups.get(t, 0) for t in kept["document_topics"].tolist()])
    return float(normalized_mutual_info_score(truth, per_document))


def score_rules(work: Path) -> dict:
    report = {
        "date": datetime.now(UTC).date().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "range": list(OVERVIEW_RANGE),
        "runs": [],
    }
    for spec in SLICES:
        rows = {str(r["id"]): r for r in slice_rows(spec)}
        for field in (spec.field, *spec.also):
            subjects = len({r.get(field) for r in rows.values()})
            for preset in PRESETS:
                for seed in SEEDS:
                    path = work / "kept" / f"{spec.name}-{preset}-{seed}.npz"
                    if not path.exists():
                        continue
                    kept = dict(np.load(path, allow_pickle=False))
                    truth = np.array(
                        [str(rows[source_id(i, rows)].get(field)) for i in kept["document_ids"]]
                    )
                    tree = Tree.of(kept["vectors"], kept["sizes"])
                    fine = float(normalized_mutual_info_score(truth, kept["document_topics"]))
                    entry = {
                        "corpus": spec.name,
                        "field": field,
                        "subjects": subjects,
                        "preset": preset,
                        "seed": seed,
                        "topics": len(kept["sizes"]),
                        "fine_nmi": round(fine, 4),
                        "rules": {},
                    }
                    for name, rule in RULES.items():
                        count = rule(tree)
                        entry["rules"][name] = {
                            "count": count,
                            "ratio": round(count / subjects, 3),
                            "nmi": round(overview_nmi(tree, count, kept, truth), 4),
                        }
                    report["runs"].append(entry)
    return report


def markdown(report: dict) -> str:
    names = list(RULES)
    lines = [
        "# Overview size against the subject count (`bench/overview.py`)",
        "",
        f"{report['date']} · {report['machine']} · overview range {report['range']}; each cell "
        "is the overview's group count (its NMI against the subjects) for seeds "
        f"{', '.join(map(str, SEEDS))}. Target: 0.5–2× the subject count on every corpus, "
        "both presets, every seed. **bold** = outside the target.",
        "",
        "| corpus | subjects | preset | topics | fine NMI | " + " | ".join(names) + " |",
        "|---|---:|---|---|---|" + "---|" * len(names),
    ]
    groups: dict[tuple, list[dict]] = {}
    for run in report["runs"]:
        groups.setdefault((run["corpus"], run["field"], run["preset"]), []).append(run)
    for (corpus, field, preset), runs in groups.items():
        subjects = runs[0]["subjects"]
        cells = []
        for name in names:
            parts = []
            for run in runs:
                result = run["rules"][name]
                count = str(result["count"])
                if not 0.5 <= result["ratio"] <= 2.0:
                    count = f"**{count}**"
                parts.append(f"{count} ({result['nmi']:.2f})")
            cells.append(", ".join(parts))
        lines.append(
            f"| {corpus} ({field}) | {subjects} | {preset} | "
            f"{', '.join(str(r['topics']) for r in runs)} | "
            f"{', '.join(format(r['fine_nmi'], '.2f') for r in runs)} | " + " | ".join(cells) + " |"
        )
    lines += [
        "",
        "Runs with the overview inside 0.5–2× the subject count (labellings of at most 30 "
        "subjects), and the mean NMI of the overview against the subjects:",
        "",
        "| rule | chosen on (csl_5, csl_13, arxiv_5, arxiv_18, ohsumed_23) | held out "
        "(csl_8, arxiv_10, ohsumed_10) | mean NMI, chosen on / held out |",
        "|---|---|---|---|",
    ]
    for name in names:
        cells, means = [], []
        for held in (False, True):
            scored = [
                r for r in report["runs"]
                if r["subjects"] <= OVERVIEW_RANGE[1] and (r["corpus"] in HELD_OUT) == held
            ]  # fmt: skip
            inside = sum(0.5 <= r["rules"][name]["ratio"] <= 2.0 for r in scored)
            cells.append(f"{inside} / {len(scored)}")
            means.append(np.mean([r["rules"][name]["nmi"] for r in scored]) if scored else np.nan)
        lines.append(f"| {name} | {cells[0]} | {cells[1]} | {means[0]:.3f} / {means[1]:.3f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["runs", "rules"])
    parser.add_argument("--work", type=Path, default=Path("/work/overview"))
    parser.add_argument("--cache", type=Path, default=Path("/work/identity/cache-final"))
    args = parser.parse_args()
    if args.command == "runs":
        run_all(args.work, args.cache)
        return
    report = score_rules(args.work)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.with_suffix(".json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    RESULTS.with_suffix(".md").write_text(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()
