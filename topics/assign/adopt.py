"""``topics adopt RUN_DIR CANDIDATE``: a candidate topic becomes a topic, nothing is refitted.

The candidate's documents take a new topic id (one above the largest; existing ids never
change) in ``documents.parquet``, and a new group of their own in every coarser layer (a
subject the fit never saw is not forced under a group made without it; a refit places it).
``topics.csv``, ``layers.csv``, ``topic_words.json`` and ``topic_vectors.npy`` gain its row, made
from the candidate's labels and words; the run's assigner gains its documents as voters, so
later assigns give the new topic to its new documents; ``novel/`` and ``candidates.csv`` lose
it, and the manifest records the adoption. Trends and the page are rebuilt. The run folder is
rewritten beside the old one and swapped in whole under its lock, as an append is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from topics.errors import InputError
from topics.run_folder import RunFolder
from topics.run_folder import layout as names


@dataclass(frozen=True)
class Adopted:
    """What one ``topics adopt`` did."""

    run_dir: Path
    candidate: int
    topic: int
    documents: int
    label: str


def adopt_candidate(run_dir: str | Path, candidate: int, *, wait: bool = True) -> Adopted:
    """Turn ``candidate`` of the run in ``run_dir`` into a topic (see the module docstring).

    Raises
    ------
    InputError
        One line when the run has no such candidate (the ids it has are named).
    """
    from topics.assign.store import save_assigner
    from topics.report import build_report
    from topics.run_folder.append import rewrite_run
    from topics.run_folder.write import safe_csv_cell, write_candidates, write_manifest

    with RunFolder.locked(run_dir, wait=wait) as run:
        table = run.candidates()
        known = [] if table is None else table["candidate"].astype(int).tolist()
        if candidate not in known:
            have = ", ".join(map(str, known)) or "none"
            raise InputError(
                f"Run folder '{run.path}' has no candidate topic {candidate} (candidates: "
                f"{have}); 'topics assign' proposes them from novel documents."
            )
        row = table[table["candidate"].astype(int) == candidate].iloc[0]
        documents = run.documents()
        members = np.flatnonzero(documents["candidate"].to_numpy(dtype=np.int64) == candidate)
        topics_table = run.topics(as_text=True)
        topic = max([-1, *topics_table["topic"].astype(int).tolist()]) + 1
        kept_rows, kept_vectors = run.novel()
        inside = np.isin(kept_rows, members)
        vectors = kept_vectors[inside]
        if not len(members) or len(vectors) != len(members):
            raise InputError(
                f"{run.file(names.NOVEL)}: candidate {candidate}'s documents and the kept novel "
                "vectors do not match (damaged run folder); run 'topics run' again."
            )
        centre = vectors.mean(axis=0)
        centre /= max(float(np.linalg.norm(centre)), 1e-12)
        candidate_words = run.candidate_words()
        words = candidate_words.get(candidate, {})
        label = str(row["label"]) if pd.notna(row["label"]) else ""

        replaced = {
            "topic": _set(documents["topic"], members, topic),
            "candidate": _set(documents["candidate"], members, -1),
        }
        layer_table = run.layers()
        new_nodes = []
        for level, column in enumerate(run.manifest.get("layers") or ["topic"]):
            if level == 0 or column not in documents.columns:
                continue
            group = int(documents[column].max()) + 1 if len(documents) else 0
            if layer_table is not None:
                group = max(
                    group, int(layer_table.loc[layer_table["layer"] == level, "id"].max()) + 1
                )
            replaced[column] = _set(documents[column], members, group)
            new_nodes.append((level, group))
        moved = documents.copy()
        for column, values in replaced.items():
            moved[column] = values

        topic_row = {column: "" for column in topics_table.columns} | {
            "topic": str(topic),
            "size": str(len(members)),
            "label": label,
            "words": _text(row.get("words")),
            "label_en": _text(row.get("label_en")),
            "label_zh": _text(row.get("label_zh")),
            "words_en": _text(row.get("words_en")),
            "words_zh": _text(row.get("words_zh")),
        }
        # A candidate has keywords but no name (naming needs the run's embedder and layers):
        # until the next 'topics run', the adopted topic is called by its keywords.
        names_of = {"name": label} | {
            f"name_{lang}": _text(row.get(f"label_{lang}")) for lang in ("en", "zh")
        }
        topic_row |= {
            column: value for column, value in names_of.items() if column in topics_table.columns
        }
        langs = documents["lang"].astype(str).to_numpy()[members]
        for lang in ("zh", "en"):
            if f"share_{lang}" in topics_table.columns:
                topic_row[f"share_{lang}"] = str(round(float((langs == lang).mean()), 4))
        topics_table = pd.concat([topics_table, pd.DataFrame([topic_row])], ignore_index=True)
        for column in ("label", "words", "label_en", "words_en", "label_zh", "words_zh", *names_of):
            if column in topics_table.columns:
                topics_table.loc[len(topics_table) - 1, column] = safe_csv_cell(
                    topic_row.get(column, "")
                )

        nodes = [(0, topic)] + new_nodes
        if layer_table is not None:
            added = []
            for index, (level, node) in enumerate(nodes):
                parent = nodes[index + 1][1] if index + 1 < len(nodes) else np.nan
                added.append(
                    {
                        "layer": level,
                        "id": node,
                        "parent": parent,
                        "size": len(members),
                        "label": label,
                        "label_en": _text(row.get("label_en")),
                        "label_zh": _text(row.get("label_zh")),
                        "words": _text(row.get("words")),
                    }
                    | (names_of if "name" in layer_table.columns else {})
                )
            layer_table = pd.concat([layer_table, pd.DataFrame(added)], ignore_index=True)

        topic_words = json.loads(run.file(names.TOPIC_WORDS).read_text("utf-8"))
        nearest = kept_rows[inside][np.argsort(-(vectors @ centre), kind="stable")[:3]]
        ids = documents["id"].astype(str).to_numpy()
        topic_words["topics"].append(
            {
                "topic": topic,
                "label": label,
                "words": words.get("words", []),
                "words_en": words.get("words_en", []),
                "words_zh": words.get("words_zh", []),
                "representative_ids": [str(ids[i]) for i in nearest],
            }
        )
        topic_vectors = np.vstack([run.topic_vectors().reshape(-1, len(centre)), centre[None]])

        assigner = run.assigner()
        coords = run.map2d(len(documents))[kept_rows[inside]]
        assigner = replace(
            assigner,
            vectors=np.vstack([assigner.vectors, vectors]),
            topics=np.concatenate([assigner.topics, np.full(len(vectors), topic, np.int64)]),
            coords=np.vstack([assigner.coords, coords.astype(np.float32)]),
        )

        remaining = table[table["candidate"].astype(int) != candidate]
        all_words = {k: v for k, v in candidate_words.items() if k != candidate}
        at = datetime.now(UTC).isoformat(timespec="seconds")
        manifest, trends = _manifest(
            run, moved, topics_table, layer_table, remaining, topic, candidate, at
        )

        def write_tables(folder: Path) -> None:
            topics_table.to_csv(folder / names.TOPICS, index=False, encoding="utf-8")
            if layer_table is not None:
                layer_table.to_csv(folder / names.LAYERS, index=False, encoding="utf-8")
            text = json.dumps(topic_words, ensure_ascii=False, indent=1)
            (folder / names.TOPIC_WORDS).write_text(text, "utf-8")
            np.save(folder / names.TOPIC_VECTORS, topic_vectors.astype(np.float32))
            write_candidates(
                folder, kept_rows[~inside], kept_vectors[~inside], remaining, all_words
            )
            save_assigner(assigner, folder / names.ASSIGN)
            if trends is not None:
                trends.to_csv(folder / names.TRENDS, index=False, encoding="utf-8")
            write_manifest(manifest, folder / names.MANIFEST)

        rewritten = {
            names.TOPICS,
            names.LAYERS,
            names.TOPIC_WORDS,
            names.TOPIC_VECTORS,
            names.CANDIDATES,
            names.NOVEL,
            names.ASSIGN,
            names.TRENDS,
            names.MANIFEST,
            names.DIGEST,
        }
        rewrite_run(run.path, rewritten, write_tables, replaced, build_page=build_report)
    return Adopted(run.path, candidate, topic, len(members), label)


def _set(values: pd.Series, rows: np.ndarray, value: int) -> np.ndarray:
    out = values.to_numpy(dtype=np.int64).copy()
    out[rows] = value
    return out


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def _manifest(
    run: RunFolder,
    documents: pd.DataFrame,
    topics_table: pd.DataFrame,
    layer_table: pd.DataFrame | None,
    remaining: pd.DataFrame,
    topic: int,
    candidate: int,
    at: str,
) -> tuple[dict[str, Any], pd.DataFrame | None]:
    """The manifest after the adoption, and ``trends.csv`` (``None`` without dates)."""
    from topics.run_folder.append import trends_of

    manifest = json.loads(json.dumps(run.manifest))
    counts = manifest.setdefault("counts", {})
    counts["topics"] = int((topics_table["topic"].astype(int) != -1).sum())
    counts["outliers"] = int((documents["topic"] == -1).sum())
    summary = manifest.setdefault("candidates", {})
    summary["candidates"] = len(remaining)
    summary["in_candidates"] = int((documents["candidate"] != -1).sum())
    summary["novel_kept"] = int(summary.get("novel_kept", 0)) - int(
        (documents["topic"] == topic).sum()
    )
    summary.setdefault("adopted", []).append(
        {
            "candidate": candidate,
            "topic": topic,
            "documents": int((documents["topic"] == topic).sum()),
            "at": at,
        }
    )
    trends, manifest["trends"] = trends_of(documents, manifest, topics_table, layer_table)
    return manifest, None if trends is None else trends.table
