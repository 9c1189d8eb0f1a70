"""``topics assign RUN_DIR NEW_CORPUS``: add documents to a finished run without refitting.

The new documents are read with the run's own readers and settings, embedded through the
cache with the run's embedder (refused if it is not the one the run's vectors came from),
and given the topic their nearest core documents vote for (:mod:`topics.assign.store`).
``documents.parquet`` gains them with ``assigned_by: assign`` and ``assigned_at``; topic sizes
and language shares in ``topics.csv``, the counts in ``manifest.json``, ``map2d.npy`` and
``index.html`` are refreshed. The run folder is rebuilt beside the old one and swapped in
whole (:func:`topics.outputs.atomic_run_folder`), so a failed assign leaves the run untouched.

Choices where the issue was silent: a document whose id and text are already in the run is
skipped and counted; an id already in the run with another text is an error (exit 2) naming
the id; the same text under a new id is a new document. Topic words, labels and the fitted
models are not changed: assigning is not refitting.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from topics.assign.store import load_assigner
from topics.config import RunConfig, apply_overrides, override_origins, validate_config
from topics.errors import InputError, reading_run_file
from topics.layers import Layers
from topics.report.data import (
    read_layers,
    read_map,
    read_text_rows,
    require_columns,
    split_columns,
)

#: Files an assign rewrites; everything else in the run folder is copied unchanged.
REWRITTEN = {
    "documents.parquet",
    "topics.csv",
    "layers.csv",
    "map2d.npy",
    "manifest.json",
    "index.html",
}


@dataclass(frozen=True)
class AssignResult:
    """What one ``topics assign`` did."""

    run_dir: Path
    added: int
    skipped: int
    novel: int
    outliers: int
    manifest: dict[str, Any]


def run_config(
    manifest: dict[str, Any], run_dir: Path, paths: list[str] | None, overrides: list[str]
) -> RunConfig:
    """The run's own config (from its manifest) reading ``paths``, with ``--set`` overrides."""
    data = apply_overrides(manifest["config"], overrides)
    if paths is not None:
        data["corpus"]["paths"] = [str(Path(path).expanduser().resolve()) for path in paths]
    data["output"]["dir"] = str(run_dir.resolve().parent)  # the run may have been moved
    return validate_config(data, None, override_origins(overrides))


def assign_documents(
    run_dir: Path, paths: list[str], overrides: list[str] | None = None, progress: Any = None
) -> AssignResult:
    """Add the documents in ``paths`` to the run in ``run_dir``; see the module docstring."""
    from topics.corpus import load_corpus
    from topics.embed.base import make_embedder
    from topics.embed.lexical import embed_with_lexical, lexical_fingerprint
    from topics.embed.stage import embed_corpus
    from topics.engine import open_engine
    from topics.outputs import atomic_run_folder
    from topics.preflight import preflight
    from topics.progress import SilentProgress

    run_dir = Path(run_dir)
    manifest = read_manifest(run_dir)
    config = run_config(manifest, run_dir, paths, list(overrides or []))
    # The new documents are the command's argument, not the run's corpus.paths: say so.
    preflight(config, corpus_source="topics assign FILES")
    assigner = load_assigner(run_dir)
    root = Path(config.cache.dir) if config.cache.enabled else None
    fingerprint = lexical_fingerprint(
        make_embedder(config.embedding, root).fingerprint(), assigner.lexical
    )
    if fingerprint != assigner.fingerprint:
        raise InputError(
            f"Run folder '{run_dir}' was embedded with '{assigner.fingerprint}'; this assign "
            f"would embed with '{fingerprint}'. Vectors of different embedders cannot be "
            "compared: keep the run's embedding.* settings."
        )
    # The run's texts stay on disk: only the other columns are read (1M abstracts are ~1.5 GB
    # in memory), and the new documents.parquet is streamed row group by row group.
    documents_path = run_dir / "documents.parquet"
    with reading_run_file(documents_path):
        whole, text_columns = split_columns(documents_path)
        file_columns = pq.read_schema(documents_path).names
        documents = pd.read_parquet(documents_path, columns=whole)
    require_columns(documents_path, documents, ("id", "topic"))
    map2d = read_map(run_dir / "map2d.npy", len(documents))
    with reading_run_file(run_dir / "layers.csv"):
        layer_table = read_layers(run_dir / "layers.csv")
    corpus = load_corpus(config.corpus)
    fresh, skipped = _new_rows(corpus, documents, documents_path)
    new = corpus.subset(fresh)
    assigned_at = datetime.now(UTC).isoformat(timespec="seconds")
    if len(new):
        progress = progress or SilentProgress()
        progress.start("embed", len(new))
        began = time.perf_counter()
        with open_engine(config.engine) as engine:
            vectors = embed_corpus(new, config, progress, engine).vectors
            vectors = embed_with_lexical(vectors, new.texts, assigner.lexical)
            progress.finish("embed", time.perf_counter() - began, f"{len(new)} new documents")
            found = assigner.assign(vectors, seed=config.run.seed, engine=engine)
    else:
        found = assigner.assign(np.empty((0, assigner.vectors.shape[1]), dtype=np.float32))
    started = manifest["run"].get("started")
    documents = _with_assign_columns(documents, started)
    columns = [*file_columns, *(c for c in documents.columns if c not in file_columns)]
    added = _frame(new, found.topics, assigned_at, pd.Index(columns))
    if layer_table is not None:  # each coarser layer's group, following parents in layers.csv
        for column, values in Layers.from_table(layer_table).of_documents(found.topics).items():
            added[column] = values
    merged = pd.concat([documents, added.drop(columns=text_columns)], ignore_index=True)
    map2d = np.vstack([map2d, np.asarray(found.coords, dtype=map2d.dtype).reshape(-1, 2)])
    table = _topic_table(run_dir, merged)
    _update_manifest(manifest, merged, assigned_at, paths, len(new), skipped, found.novel)

    with atomic_run_folder(run_dir.parent, run_dir.name) as folder:
        for entry in run_dir.iterdir():
            if entry.name in REWRITTEN:
                continue
            if entry.is_dir():
                shutil.copytree(entry, folder / entry.name, copy_function=_link_or_copy)
            else:
                _link_or_copy(entry, folder / entry.name)
        append_documents(documents_path, folder / "documents.parquet", added, started)
        table.to_csv(folder / "topics.csv", index=False, encoding="utf-8")
        if layer_table is not None:
            _recount_layers(layer_table, merged, manifest).to_csv(
                folder / "layers.csv", index=False, encoding="utf-8"
            )
        np.save(folder / "map2d.npy", map2d)
        (folder / "manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2), "utf-8"
        )
        if (run_dir / "index.html").exists():
            from topics.report import build_report

            build_report(folder)
    return AssignResult(
        run_dir=run_dir,
        added=len(new),
        skipped=skipped,
        novel=int(found.novel.sum()),
        outliers=int((found.topics == -1).sum()),
        manifest=manifest,
    )


def _link_or_copy(source: str | Path, target: str | Path) -> None:
    """Hard-link an unchanged file into the new run folder (copy across file systems).

    Run-folder files are only ever replaced whole, never written in place, so sharing them
    between the old and the new folder is safe, and a daily assign into a 50k run does not
    copy its 100+ MB of vectors and model each time.
    """
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def read_manifest(run_dir: Path) -> dict[str, Any]:
    """A run folder's manifest; a one-line InputError when it is missing or damaged."""
    path = run_dir / "manifest.json"
    if not path.is_file():
        raise InputError(f"'{run_dir}' is not a run folder (no manifest.json in it).")
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as error:
        raise InputError(f"{path}: not a readable run manifest ({error}).") from None
    # A manifest without the run's config (what assign refits nothing from) is damaged.
    config = manifest.get("config") if isinstance(manifest, dict) else None
    if not isinstance(config, dict) or not isinstance(config.get("corpus"), dict):
        found = (
            f"keys: {', '.join(map(str, manifest)) or 'none'}"
            if isinstance(manifest, dict)
            else f"a JSON {type(manifest).__name__}"
        )
        raise InputError(
            f"{path}: not a readable run manifest (expected a 'config' holding the run's "
            f"'corpus' section; found {found})."
        )
    return manifest


def _new_rows(corpus: Any, documents: pd.DataFrame, path: Path) -> tuple[list[int], int]:
    """Rows of ``corpus`` not yet in the run, and how many were already there (same id + text).

    Only the texts of ids already in the run are read from ``path`` (``documents.parquet``).
    """
    found = pd.Index(documents["id"].astype(str)).get_indexer(list(corpus.ids))
    known_rows = np.unique(found[found >= 0])
    known_texts = read_text_rows(path, known_rows).get("text", [None] * len(known_rows))
    text_of = dict(zip(known_rows.tolist(), known_texts, strict=True))
    fresh, skipped = [], 0
    for row, (doc_id, text) in enumerate(zip(corpus.ids, corpus.texts, strict=True)):
        if found[row] < 0:
            fresh.append(row)
        elif text_of[int(found[row])] == text:
            skipped += 1
        else:
            raise InputError(
                f"Document id '{doc_id}' ({corpus.sources[row]}) is already in the run with a "
                "different text; give the new document another id."
            )
    return fresh, skipped


def _run_defaults(started: str | None) -> dict[str, str | None]:
    """``assigned_by`` / ``assigned_at`` of a run's own rows when its file has no such column."""
    return {"assigned_by": "fit", "assigned_at": started}


def _with_assign_columns(documents: pd.DataFrame, started: str | None) -> pd.DataFrame:
    """Documents of the run with ``assigned_by`` / ``assigned_at`` (the run's start time)."""
    documents = documents.copy()
    for name, value in _run_defaults(started).items():
        if name not in documents.columns:
            documents[name] = value
    return documents


def append_documents(source: Path, target: Path, added: pd.DataFrame, started: str | None) -> None:
    """Write ``source``'s rows and then ``added`` to ``target``, a row group at a time.

    Rows of the run without ``assigned_by``/``assigned_at`` get ``fit`` and the run's start
    time. A column that was empty in the run takes the new documents' type; otherwise the new
    values are cast to the run's type (a mismatch is a one-line InputError with Arrow's reason).
    """
    import pyarrow as pa

    from topics.outputs.files import DOCUMENT_CHUNK

    pool = pa.default_memory_pool()
    with pq.ParquetFile(source) as file:
        filled = _run_defaults(started)
        missing = [name for name in filled if name not in file.schema_arrow.names]
        fields = [*file.schema_arrow, *(pa.field(name, pa.string()) for name in missing)]
        new_rows = pa.Table.from_pandas(added, preserve_index=False)
        schema = pa.schema(
            [
                new_rows.schema.field(field.name)
                if pa.types.is_null(field.type)
                else pa.field(field.name, field.type)
                for field in fields
            ]
        )
        try:
            new_rows = new_rows.select(schema.names).cast(schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as error:
            raise InputError(
                f"{source}: the new documents' columns do not match the run's ({error})."
            ) from None
        with pq.ParquetWriter(target, schema) as writer:
            for batch in file.iter_batches(batch_size=DOCUMENT_CHUNK, use_threads=False):
                table = pa.Table.from_batches([batch])
                for name in missing:
                    table = table.append_column(
                        name, pa.array([filled[name]] * table.num_rows, pa.string())
                    )
                writer.write_table(table.cast(schema))
                del table, batch
                pool.release_unused()  # see topics.outputs.files.write_documents
            for start in range(0, new_rows.num_rows, DOCUMENT_CHUNK):
                writer.write_table(new_rows.slice(start, DOCUMENT_CHUNK))


def _frame(corpus: Any, topics: np.ndarray, assigned_at: str, columns: pd.Index) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "id": corpus.ids,
            "title": corpus.titles,
            "text": corpus.texts,
            "lang": corpus.langs,
            "topic": np.asarray(topics, dtype=np.int64),
            # No HDBSCAN membership was measured for an assigned document (see
            # topics.represent.membership): NaN, as for documents reassigned within a run.
            "probability": np.full(len(corpus), np.nan, dtype=np.float32),
            "assigned_by": "assign",
            "assigned_at": assigned_at,
        }
    )
    for name, values in (("date", corpus.dates), ("label", corpus.labels)):
        if name in columns:
            frame[name] = values if values is not None else None
    return frame.reindex(columns=columns)


def _recount_layers(
    table: pd.DataFrame, documents: pd.DataFrame, manifest: dict[str, Any]
) -> pd.DataFrame:
    """``layers.csv`` with every node's size recounted from the documents."""
    table = table.copy()
    for level, column in enumerate(manifest.get("layers") or ["topic"]):
        sizes = documents.loc[documents[column] != -1, column].value_counts()
        rows = table["layer"] == level
        table.loc[rows, "size"] = table.loc[rows, "id"].map(sizes).fillna(0).astype(int)
    return table


def _topic_table(run_dir: Path, documents: pd.DataFrame) -> pd.DataFrame:
    """``topics.csv`` with sizes and language shares recounted (an outlier row added if new)."""
    with reading_run_file(run_dir / "topics.csv"):
        table = pd.read_csv(run_dir / "topics.csv", keep_default_na=False, na_values=[], dtype=str)
        ids = table["topic"].astype(int)
    topics = documents["topic"].astype(int)
    sizes = topics.value_counts()
    if -1 in sizes.index and "-1" not in set(table["topic"]):
        outliers = {column: "" for column in table.columns} | {"topic": "-1", "label": "Outliers"}
        table = pd.concat([pd.DataFrame([outliers]), table], ignore_index=True)
        ids = table["topic"].astype(int)
    table["size"] = ids.map(sizes).fillna(0).astype(int).astype(str)
    for lang in ("zh", "en"):
        column = f"share_{lang}"
        if column in table.columns:
            shares = (documents["lang"] == lang).groupby(topics).mean()
            table[column] = ids.map(shares).fillna(0.0).round(4).astype(str)
    return table


def _update_manifest(
    manifest: dict[str, Any],
    documents: pd.DataFrame,
    assigned_at: str,
    paths: list[str],
    added: int,
    skipped: int,
    novel: np.ndarray,
) -> None:
    counts = manifest.setdefault("counts", {})
    topics = documents["topic"].astype(int)
    counts["documents"] = len(documents)
    counts["outliers"] = int((topics == -1).sum())
    counts["assigned_later"] = int((documents["assigned_by"] == "assign").sum())
    counts["novel"] = int(counts.get("novel", 0)) + int(novel.sum())
    manifest["languages"] = {
        lang: int((documents["lang"] == lang).sum()) for lang in ("zh", "en", "other")
    }
    manifest["topic_languages"] = {
        str(topic): {str(k): int(v) for k, v in group.value_counts().items()}
        for topic, group in documents.groupby(topics)["lang"]
    }
    manifest.setdefault("assignments", []).append(
        {
            "at": assigned_at,
            "paths": [str(path) for path in paths],
            "added": added,
            "skipped": skipped,
            "novel": int(novel.sum()),
        }
    )
