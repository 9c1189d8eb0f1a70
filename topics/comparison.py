"""``topics compare RUN_A RUN_B``: which topics of two runs are the same, which split, merged,
appeared or went.

Two runs that share documents (a refit of a grown corpus, another seed, another setting) are
matched by their documents: the Jaccard overlap of each pair of topics over the shared
documents, matched one to one by the Hungarian algorithm (a pair needs at least
:data:`MIN_JACCARD`). Runs that share no document are matched by their topic vectors (cosine,
at least :data:`MIN_COSINE`), which is only meaningful when both were embedded the same way:
otherwise it is an error. Besides the one-to-one matches:

- *split*: a topic of A at least :data:`PART_SHARE` of whose shared documents went to each of
  two or more topics of B (it may also be matched, to its largest part);
- *merged*: a topic of B that took at least :data:`PART_SHARE` of each of two or more topics
  of A;
- *new*: a topic of B neither matched nor the product of a split;
- *gone*: a topic of A neither matched nor merged into a topic of B.

Outliers (``-1``) are never a topic here. Nothing in either run folder is changed.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from topics.common import OUTLIER, shown_name
from topics.errors import InputError
from topics.matching import match_one_to_one

#: Smallest Jaccard overlap of a one-to-one match (runs sharing documents).
MIN_JACCARD = 0.1
#: Smallest cosine similarity of topic vectors for a match (runs sharing no document).
MIN_COSINE = 0.5
#: A part of a topic counts in a split or merge from this share of the topic's documents.
PART_SHARE = 0.25


@dataclass(frozen=True)
class _Side:
    path: Path
    documents: pd.DataFrame  # id, topic
    topics: pd.DataFrame  # topics.csv
    vectors: np.ndarray
    fingerprint: str | None

    @property
    def ids(self) -> list[int]:
        return sorted(int(t) for t in self.topics["topic"] if int(t) != OUTLIER)

    def label(self, topic: int) -> str:
        """The topic's name as shown (its ``name``, else its ``label``)."""
        rows = self.topics.loc[self.topics["topic"] == topic]
        return shown_name(rows.iloc[0].to_dict()) if len(rows) else ""

    def size(self, topic: int) -> int:
        rows = self.topics.loc[self.topics["topic"] == topic, "size"]
        return int(rows.iloc[0]) if len(rows) else 0


def _side(path: Path) -> _Side:
    from topics.run_folder import RunFolder, layout

    folder = RunFolder.open(path)
    folder.require(layout.DOCUMENTS, layout.TOPICS)
    documents = folder.documents()[["id", "topic"]]
    has_vectors = folder.file(layout.TOPIC_VECTORS).is_file()
    return _Side(
        folder.path,
        documents.assign(id=documents["id"].astype(str), topic=documents["topic"].astype(int)),
        folder.topics(),
        folder.topic_vectors() if has_vectors else np.zeros((0, 1)),
        folder.fingerprint(),
    )


def compare_runs(run_a: str | Path, run_b: str | Path) -> dict[str, Any]:
    """The comparison of two run folders (``compare.json``'s content; see the module doc).

    Raises
    ------
    InputError
        When a path is not a run folder, or the runs share no document and were not embedded
        the same way (their topic vectors cannot be compared).
    """
    a, b = _side(Path(run_a)), _side(Path(run_b))
    shared = a.documents.merge(b.documents, on="id", suffixes=("_a", "_b"))
    if len(shared):
        scores, counts = _overlaps(a, b, shared)
        mode, floor = "documents", MIN_JACCARD
    else:
        if a.fingerprint is None or a.fingerprint != b.fingerprint:
            raise InputError(
                f"Runs '{a.path}' and '{b.path}' share no document and were not embedded the "
                "same way (assign/assigner.json fingerprints differ or are missing): their "
                "topics cannot be compared."
            )
        scores, counts = _cosines(a, b), None
        mode, floor = "vectors", MIN_COSINE
    matched = match_one_to_one(scores, floor)
    pairs = [
        {
            "a": a.ids[i],
            "b": b.ids[j],
            "jaccard" if mode == "documents" else "cosine": round(float(scores[i, j]), 4),
            "label_a": a.label(a.ids[i]),
            "label_b": b.label(b.ids[j]),
            "size_a": a.size(a.ids[i]),
            "size_b": b.size(b.ids[j]),
        }
        for i, j in matched
    ]
    split, merged = _parts(a, b, counts) if counts is not None else ([], [])
    in_split = {t for entry in split for t in entry["b"]}
    in_merge = {t for entry in merged for t in entry["a"]}
    matched_a, matched_b = {p["a"] for p in pairs}, {p["b"] for p in pairs}
    return {
        "a": str(a.path),
        "b": str(b.path),
        "mode": mode,
        "shared_documents": int(len(shared)),
        "topics_a": len(a.ids),
        "topics_b": len(b.ids),
        "matched": pairs,
        "split": split,
        "merged": merged,
        "new": [t for t in b.ids if t not in matched_b and t not in in_split],
        "gone": [t for t in a.ids if t not in matched_a and t not in in_merge],
    }


def _overlaps(a: _Side, b: _Side, shared: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """``(jaccard, counts)`` of every topic pair over the shared documents (outliers left out
    of the pairs, but not of either side's topic sizes)."""
    index_a = {t: i for i, t in enumerate(a.ids)}
    index_b = {t: j for j, t in enumerate(b.ids)}
    counts = np.zeros((len(a.ids), len(b.ids)), dtype=np.int64)
    both = shared[(shared["topic_a"] != OUTLIER) & (shared["topic_b"] != OUTLIER)]
    np.add.at(
        counts,
        (both["topic_a"].map(index_a).to_numpy(), both["topic_b"].map(index_b).to_numpy()),
        1,
    )
    size_a = shared["topic_a"].value_counts().reindex(a.ids, fill_value=0).to_numpy()
    size_b = shared["topic_b"].value_counts().reindex(b.ids, fill_value=0).to_numpy()
    union = size_a[:, None] + size_b[None, :] - counts
    with np.errstate(invalid="ignore", divide="ignore"):
        jaccard = np.where(union > 0, counts / np.maximum(union, 1), 0.0)
    return jaccard, counts


def _cosines(a: _Side, b: _Side) -> np.ndarray:
    if len(a.vectors) != len(a.ids) or len(b.vectors) != len(b.ids):
        raise InputError(f"'{a.path}' or '{b.path}': topic_vectors.npy does not match topics.csv.")
    if not len(a.ids) or not len(b.ids):
        return np.zeros((len(a.ids), len(b.ids)))
    unit_a = a.vectors / np.maximum(np.linalg.norm(a.vectors, axis=1, keepdims=True), 1e-12)
    unit_b = b.vectors / np.maximum(np.linalg.norm(b.vectors, axis=1, keepdims=True), 1e-12)
    return unit_a @ unit_b.T


def _parts(a: _Side, b: _Side, counts: np.ndarray) -> tuple[list[dict], list[dict]]:
    """Splits (a topic of A in parts of several of B) and merges (the reverse)."""
    share_of_a = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    split = [
        {"a": a.ids[i], "b": [b.ids[j] for j in np.flatnonzero(row >= PART_SHARE)]}
        for i, row in enumerate(share_of_a)
        if int((row >= PART_SHARE).sum()) >= 2
    ]
    merged = [
        {"a": [a.ids[i] for i in np.flatnonzero(column >= PART_SHARE)], "b": b.ids[j]}
        for j, column in enumerate(share_of_a.T)
        if int((column >= PART_SHARE).sum()) >= 2
    ]
    return split, merged


def write_comparison(comparison: dict[str, Any], out: Path) -> Path:
    """``out/compare.json`` and ``out/compare.html``, written together or not at all."""
    from topics.run_folder import atomic_run_folder

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out '{out}' is a file; expected a folder for compare.json.")
    with atomic_run_folder(out.parent, out.name, key="--out") as folder:
        (folder / "compare.json").write_text(
            json.dumps(comparison, ensure_ascii=False, indent=1), "utf-8"
        )
        (folder / "compare.html").write_text(_page(comparison), "utf-8")
    return out


def _page(comparison: dict[str, Any]) -> str:
    """A self-contained page: both runs' topics side by side (every text escaped)."""
    e = html.escape
    score = "jaccard" if comparison["mode"] == "documents" else "cosine"
    rows = "".join(
        f"<tr><td>{p['a']}</td><td>{e(p['label_a'])}</td><td>{p['size_a']}</td>"
        f"<td>{p[score]:.2f}</td><td>{p['b']}</td><td>{e(p['label_b'])}</td>"
        f"<td>{p['size_b']}</td></tr>"
        for p in comparison["matched"]
    )

    def listed(title: str, items: list[Any]) -> str:
        body = "".join(f"<li>{e(json.dumps(item, ensure_ascii=False))}</li>" for item in items)
        return f"<h2>{e(title)} ({len(items)})</h2><ul>{body or '<li>none</li>'}</ul>"

    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\"><title>topics compare</title><style>"
        "body{font-family:system-ui,sans-serif;margin:2em;max-width:70em}"
        "table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:.3em .6em;"
        "text-align:left}</style></head><body>"
        f"<h1>A: {e(comparison['a'])}<br>B: {e(comparison['b'])}</h1>"
        f"<p>{comparison['topics_a']} topics in A, {comparison['topics_b']} in B; matched by "
        f"{e(comparison['mode'])} ({comparison['shared_documents']} shared documents).</p>"
        f"<h2>Matched ({len(comparison['matched'])})</h2><table><tr><th>A</th><th>label</th>"
        f"<th>size</th><th>{score}</th><th>B</th><th>label</th><th>size</th></tr>{rows}</table>"
        f"{listed('Split (a topic of A in several of B)', comparison['split'])}"
        f"{listed('Merged (several of A in one of B)', comparison['merged'])}"
        f"{listed('New in B', comparison['new'])}{listed('Gone from A', comparison['gone'])}"
        "</body></html>\n"
    )
