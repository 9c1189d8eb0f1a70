"""Layer candidates (issue 10, item 1): which hierarchy over the fine topics agrees best.

One ``fast`` run per full bench corpus; from its fine topics, each candidate builds groupings
of the documents at several group counts, scored by NMI against every reference labelling
(outliers one cluster, as in ``bench/layers.py``):

- ``vectors`` (what ``topics/layers.py`` does): average linkage of the topics' mean vectors,
  cosine distance;
- ``c-tf-idf``: average linkage of the topics' c-TF-IDF rows (the run's own term counts);
- ``vectors+c-tf-idf``: average linkage of the mean of both cosine distances;
- ``vectors ward``: Ward linkage of the unit mean vectors;
- ``condensed tree``: HDBSCAN's own cluster tree, cut by splitting the group that split at the
  lowest density first (each fine topic follows the HDBSCAN cluster most of its documents
  came from);
- ``evoc`` (when ``evoc`` is importable): EVoC's ``cluster_layers_`` on the run's vectors —
  not layers of our topics, but its own clustering at several resolutions.

Usage: ``python bench/layer_candidates.py``; writes ``bench/results/layer_candidates.{json,md}``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import pdist
from sklearn.metrics import normalized_mutual_info_score

import topics.pipeline as pipeline
from topics.represent.bilingual import class_tfidf
from topics.represent.table import group_sums

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from layers import (  # noqa: E402
    CORPORA,
    DATA,
    corpus_config,
    new_report,
    references,
    run_corpora,
)

COUNTS = (5, 8, 12, 18, 25, 35, 50)


class Capture:
    """The canonical corpus, the vectors UMAP saw and HDBSCAN's fitted model of one run."""

    def __init__(self) -> None:
        self.seen: dict[str, Any] = {}
        self.originals = {
            name: getattr(pipeline, name) for name in ("embed_corpus", "reduce_cached", "cluster")
        }

    def __enter__(self) -> Capture:
        def embed_corpus(corpus, *args, **kwargs):
            self.seen["ids"] = list(corpus.ids)
            return self.originals["embed_corpus"](corpus, *args, **kwargs)

        def reduce_cached(embeddings, *args, **kwargs):
            if kwargs.get("n_components", 5) != 2:  # not the 2-D map
                self.seen["vectors"] = np.asarray(embeddings.vectors, dtype=np.float32)
            return self.originals["reduce_cached"](embeddings, *args, **kwargs)

        def cluster(*args, **kwargs):
            clusters = self.originals["cluster"](*args, **kwargs)
            self.seen["clusters"] = clusters
            return clusters

        pipeline.embed_corpus, pipeline.reduce_cached, pipeline.cluster = (
            embed_corpus,
            reduce_cached,
            cluster,
        )
        return self

    def __exit__(self, *exc: object) -> None:
        for name, original in self.originals.items():
            setattr(pipeline, name, original)


def by_linkage(features: np.ndarray | None, distances: np.ndarray | None, method: str):
    tree = (
        linkage(distances, method="average")
        if distances is not None
        else linkage(features, method=method, metric="euclidean" if method == "ward" else "cosine")
    )
    return lambda count: fcluster(tree, t=count, criterion="maxclust")


def tree_cut(clusterer: Any, topic_leaf: np.ndarray):
    """Groups of fine topics from HDBSCAN's condensed tree (see the module docstring)."""
    tree = clusterer.condensed_tree_.to_numpy()
    edges = tree[tree["child_size"] > 1]
    children: dict[int, list[int]] = {}
    split_at: dict[int, float] = {}
    for parent, child, lam in zip(
        edges["parent"], edges["child"], edges["lambda_val"], strict=True
    ):
        children.setdefault(int(parent), []).append(int(child))
        split_at[int(parent)] = float(lam)
    selected = sorted(int(c) for c in clusterer.condensed_tree_._select_clusters())
    root = int(tree["parent"].min())

    def leaves_under(node: int) -> set[int]:
        found, stack = set(), [node]
        while stack:
            current = stack.pop()
            if current in selected_set:
                found.add(current)
            stack.extend(children.get(current, []))
        return found

    selected_set = set(selected)

    def cut(count: int) -> np.ndarray:
        frontier = [root]
        while True:
            useful = [n for n in frontier if leaves_under(n)]
            if len(useful) >= count:
                break
            splittable = [n for n in useful if n in children and n not in selected_set]
            if not splittable:
                break
            first = min(splittable, key=lambda n: split_at[n])
            frontier.remove(first)
            frontier.extend(children[first])
        group_of_leaf = {}
        for group, node in enumerate(n for n in frontier if leaves_under(n)):
            for leaf in leaves_under(node):
                group_of_leaf[selected.index(leaf)] = group
        return np.array([group_of_leaf.get(int(leaf), -1) for leaf in topic_leaf])

    return cut


def score(groups_of_documents: np.ndarray, truth: pd.DataFrame, fields: list[str]) -> dict:
    return {
        field: round(
            float(
                normalized_mutual_info_score(
                    truth[field].fillna("none").astype(str), groups_of_documents
                )
            ),
            4,
        )
        for field in fields
    }


def bench_corpus(name: str, work: Path) -> dict:
    file, fields = CORPORA[name]
    config = corpus_config(name, "fast", work)
    with Capture() as capture:
        result = pipeline.run_pipeline(config)
    seen = capture.seen
    ids = result.corpus.ids
    # Repeated ids got a "#2" suffix in the run: no reference for them (counted as "none").
    truth = references(DATA / file, fields).drop_duplicates("id").set_index("id").reindex(ids)
    truth = truth.reset_index(drop=True)
    assignments = np.asarray(result.topics.assignments, dtype=np.int64)
    # Canonical (hash) order → reading order, for what was captured inside the run.
    row_of = {doc_id: row for row, doc_id in enumerate(ids)}
    to_reading = np.array([row_of[doc_id] for doc_id in seen["ids"]])
    vectors = np.empty_like(seen["vectors"])
    vectors[to_reading] = seen["vectors"]
    hdbscan_labels = np.empty(len(ids), dtype=np.int64)
    hdbscan_labels[to_reading] = seen["clusters"].labels

    topic_ids = sorted(set(assignments.tolist()) - {-1})
    index_of = {t: i for i, t in enumerate(topic_ids)}
    means = np.stack([vectors[assignments == t].mean(axis=0) for t in topic_ids])
    kept = assignments != -1
    _, counts = group_sums(result.topics.document_term, assignments, keep=kept)
    ctfidf = class_tfidf(counts)
    ctfidf = ctfidf.toarray() if hasattr(ctfidf, "toarray") else np.asarray(ctfidf)
    vector_distance = pdist(means, metric="cosine")
    ctfidf_distance = pdist(ctfidf, metric="cosine")
    unit = means / np.linalg.norm(means, axis=1, keepdims=True)
    candidates = {
        "vectors": by_linkage(means, None, "average"),
        "c-tf-idf": by_linkage(None, ctfidf_distance, "average"),
        "vectors+c-tf-idf": by_linkage(None, (vector_distance + ctfidf_distance) / 2, "average"),
        "vectors ward": by_linkage(unit, None, "ward"),
    }
    clusterer = seen["clusters"].clusterer
    if clusterer is not None:
        leaf_of_topic = []
        for t in topic_ids:
            leaves = hdbscan_labels[(assignments == t) & (hdbscan_labels != -1)]
            leaf_of_topic.append(np.bincount(leaves).argmax() if leaves.size else -1)
        candidates["condensed tree"] = tree_cut(clusterer, np.array(leaf_of_topic))
    rows = [
        {"candidate": "fine topics", "groups": len(topic_ids), **score(assignments, truth, fields)}
    ]
    for candidate, groups_at in candidates.items():
        for count in COUNTS:
            if count >= len(topic_ids):
                continue
            groups = np.asarray(groups_at(count))
            lookup = np.full(max(topic_ids) + 2, -1, dtype=np.int64)
            for t in topic_ids:
                lookup[t + 1] = groups[index_of[t]]
            documents = lookup[assignments + 1]
            found = len(set(documents.tolist()) - {-1})
            rows.append(
                {"candidate": candidate, "groups": found, **score(documents, truth, fields)}
            )
    try:
        from evoc import EVoC
    except ImportError:
        pass
    else:
        began = time.perf_counter()
        model = EVoC(random_state=42).fit(vectors)
        seconds = round(time.perf_counter() - began, 1)
        for layer in model.cluster_layers_:
            layer = np.asarray(layer)
            found = len(set(layer.tolist()) - {-1})
            rows.append(
                {"candidate": f"evoc ({seconds} s)", "groups": found, **score(layer, truth, fields)}
            )
    return {"documents": len(ids), "fields": fields, "rows": rows}


def markdown(report: dict) -> str:
    lines = [
        "# Layer candidates (`bench/layer_candidates.py`)",
        "",
        f"{report['date']} · {report['machine']} · `fast` preset, full corpora; NMI over all "
        "documents (outliers one cluster) against each reference labelling; best per candidate "
        "in bold.",
        "",
    ]
    for name, entry in report["corpora"].items():
        lines += [f"## {name} ({entry['documents']} documents)", ""]
        fields = entry["fields"]
        lines += [
            "| candidate | groups | " + " | ".join(f"NMI {f}" for f in fields) + " |",
            "|---|---:|" + "---:|" * len(fields),
        ]
        best = {}
        for row in entry["rows"]:
            for field in fields:
                key = (row["candidate"], field)
                best[key] = max(best.get(key, 0.0), row[field])
        for row in entry["rows"]:
            cells = [
                f"**{row[f]:.3f}**" if row[f] == best[(row["candidate"], f)] else f"{row[f]:.3f}"
                for f in fields
            ]
            lines.append(f"| {row['candidate']} | {row['groups']} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--corpora", default=",".join(CORPORA))
    args = parser.parse_args()
    run_corpora(
        new_report(),
        args.corpora.split(","),
        bench_corpus,
        args.out / "layer_candidates",
        markdown,
    )


if __name__ == "__main__":
    main()
