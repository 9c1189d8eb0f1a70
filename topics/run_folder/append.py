"""Appending documents to a run folder (``topics assign``): a new folder, swapped in whole.

The caller holds the folder's :func:`~topics.run_folder.swap.run_lock` from before it reads the
run until the swap, so two appends into one run folder never both start from the same
``documents.parquet`` (the second one's rows were lost before the lock). Unchanged files are
hard-linked into the new folder, ``documents.parquet`` is streamed row group by row group, and
topic sizes, layer sizes, language counts and the manifest's counts are recounted with the
same functions a run uses (:mod:`topics.counts`).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from topics.counts import language_counts, topic_languages, topic_sizes
from topics.errors import InputError
from topics.run_folder.layout import (
    CANDIDATES,
    DOCUMENT_CHUNK,
    DOCUMENTS,
    LAYERS,
    MANIFEST,
    MAP,
    NOVEL,
    PAGE,
    REWRITTEN_BY_APPEND,
    TOPICS,
    TRENDS,
)
from topics.run_folder.read import read_topics_table
from topics.run_folder.swap import atomic_run_folder
from topics.run_folder.write import write_candidates, write_manifest
from topics.trends import document_dates, layer_labels, run_trends


@dataclass(frozen=True)
class Appended:
    """What one append adds to a run folder.

    Attributes
    ----------
    rows:
        The new ``documents.parquet`` rows (every column of the run's file, text included).
    coords:
        ``(len(rows), 2)`` map positions of the new documents.
    record:
        The entry for the manifest's ``assignments`` list (``at, paths, added, skipped,
        novel``).
    candidates:
        The candidate files after this append
        (:class:`topics.assign.candidates.CandidateUpdate`), or ``None`` to leave them.
    """

    rows: pd.DataFrame
    coords: np.ndarray
    record: dict[str, Any]
    candidates: Any = None


def append_to_run(
    run_dir: Path,
    documents: pd.DataFrame,
    map2d: np.ndarray,
    layer_table: pd.DataFrame | None,
    manifest: dict[str, Any],
    appended: Appended,
    text_columns: list[str],
    build_page: Callable[[Path], Any] | None = None,
) -> dict[str, Any]:
    """Write the run in ``run_dir`` plus ``appended`` to a new folder and swap it in.

    ``documents`` (without its text columns), ``map2d``, ``layer_table`` and ``manifest`` are
    what the caller read under the run lock. Returns the new manifest.
    """
    source = run_dir / DOCUMENTS
    started = manifest["run"].get("started")
    documents = _with_assign_columns(documents, started)
    merged = pd.concat([documents, appended.rows.drop(columns=text_columns)], ignore_index=True)
    coords = np.asarray(appended.coords, dtype=map2d.dtype).reshape(-1, 2)
    map2d = np.vstack([map2d, coords])
    table = _topic_table(run_dir, merged)
    manifest = _update_manifest(manifest, merged, appended.record)
    trends, manifest["trends"] = trends_of(merged, manifest, table, layer_table)
    with atomic_run_folder(run_dir.parent, run_dir.name, locked=True) as folder:
        rewritten = REWRITTEN_BY_APPEND
        if appended.candidates is None:  # kept as they are
            rewritten = rewritten - {CANDIDATES, NOVEL}
        link_unchanged(run_dir, folder, rewritten)
        update = appended.candidates
        replace = None if update is None else {"candidate": update.column[: len(documents)]}
        append_documents(source, folder / DOCUMENTS, appended.rows, started, replace)
        if update is not None:
            write_candidates(folder, update.rows, update.vectors, update.table, update.words)
            manifest["candidates"] = update.summary
        table.to_csv(folder / TOPICS, index=False, encoding="utf-8")
        if layer_table is not None:
            _recount_layers(layer_table, merged, manifest).to_csv(
                folder / LAYERS, index=False, encoding="utf-8"
            )
        if trends is not None:
            trends.table.to_csv(folder / TRENDS, index=False, encoding="utf-8")
        np.save(folder / MAP, map2d)
        write_manifest(manifest, folder / MANIFEST)
        if build_page is not None and (run_dir / PAGE).exists():
            build_page(folder)
    return manifest


def link_unchanged(run_dir: Path, folder: Path, rewritten: set[str] | frozenset[str]) -> None:
    """Every entry of ``run_dir`` but ``rewritten`` into ``folder``, hard-linked."""
    for entry in run_dir.iterdir():
        if entry.name in rewritten:
            continue
        if entry.is_dir():
            shutil.copytree(entry, folder / entry.name, copy_function=_link_or_copy)
        else:
            _link_or_copy(entry, folder / entry.name)


def rewrite_run(
    run_dir: Path,
    rewritten: set[str],
    write: Callable[[Path], None],
    replace: dict[str, np.ndarray],
    build_page: Callable[[Path], Any] | None = None,
) -> None:
    """A new ``run_dir`` in which ``write`` (given the new folder) writes the entries named in
    ``rewritten``, ``documents.parquet`` has the columns in ``replace`` replaced, and every
    other entry is linked unchanged; swapped in whole (the caller holds the run lock)."""
    with atomic_run_folder(run_dir.parent, run_dir.name, locked=True) as folder:
        link_unchanged(run_dir, folder, {DOCUMENTS, PAGE, *rewritten})
        replace_columns(run_dir / DOCUMENTS, folder / DOCUMENTS, replace)
        write(folder)
        if build_page is not None and (run_dir / PAGE).exists():
            build_page(folder)


def replace_columns(source: Path, target: Path, replace: dict[str, np.ndarray]) -> None:
    """``source`` with the columns in ``replace`` given new values (same types), streamed."""
    import pyarrow as pa

    with pq.ParquetFile(source) as file:
        schema = file.schema_arrow
        with pq.ParquetWriter(target, schema) as writer:
            start = 0
            for batch in file.iter_batches(batch_size=DOCUMENT_CHUNK, use_threads=False):
                table = _replace_rows(pa.Table.from_batches([batch]), replace, start)
                start += table.num_rows
                writer.write_table(table)


def _replace_rows(table: Any, replace: dict[str, np.ndarray], start: int) -> Any:
    """``table`` (rows ``start`` … of a file) with the columns in ``replace`` set to their
    values at those rows, in the table's types."""
    import pyarrow as pa

    for name, values in replace.items():
        index = table.schema.get_field_index(name)
        part = pa.array(values[start : start + table.num_rows])
        table = table.set_column(index, name, part.cast(table.schema.field(name).type))
    return table


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


def _run_defaults(started: str | None) -> dict[str, str | None]:
    """``assigned_by`` / ``assigned_at`` of a run's own rows when its file has no such column."""
    return {"assigned_by": "fit", "assigned_at": started}


#: Typed columns an append adds, and their value for the rows written before them.
ADDED_COLUMNS = {"novel": ("bool_", False), "candidate": ("int64", -1)}


def _with_assign_columns(documents: pd.DataFrame, started: str | None) -> pd.DataFrame:
    """Documents of the run with ``assigned_by`` / ``assigned_at`` (the run's start time)."""
    documents = documents.copy()
    for name, value in _run_defaults(started).items():
        if name not in documents.columns:
            documents[name] = value
    return documents


def append_documents(
    source: Path,
    target: Path,
    added: pd.DataFrame,
    started: str | None,
    replace: dict[str, np.ndarray] | None = None,
) -> None:
    """Write ``source``'s rows and then ``added`` to ``target``, a row group at a time.

    Rows of the run without ``assigned_by``/``assigned_at`` get ``fit`` and the run's start
    time, without ``novel``/``candidate`` ``False`` and ``-1``; ``replace`` gives new values of
    a column for every row of ``source`` (a candidate can gain earlier documents). A column
    that was empty in the run takes the new documents' type; otherwise the new values are cast
    to the run's type (a mismatch is a one-line InputError with Arrow's reason).
    """
    import pyarrow as pa

    pool = pa.default_memory_pool()
    replace = replace or {}
    with pq.ParquetFile(source) as file:
        filled: dict[str, Any] = _run_defaults(started)
        kinds = {name: pa.string() for name in filled}
        for name, (kind, value) in ADDED_COLUMNS.items():
            if name in added.columns:
                filled[name], kinds[name] = value, getattr(pa, kind)()
        missing = [name for name in filled if name not in file.schema_arrow.names]
        fields = [*file.schema_arrow, *(pa.field(name, kinds[name]) for name in missing)]
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
            start = 0
            for batch in file.iter_batches(batch_size=DOCUMENT_CHUNK, use_threads=False):
                table = pa.Table.from_batches([batch])
                for name in missing:
                    table = table.append_column(
                        name, pa.array([filled[name]] * table.num_rows, kinds[name])
                    )
                table = _replace_rows(table, replace, start)
                start += table.num_rows
                writer.write_table(table.cast(schema))
                del table, batch
                pool.release_unused()  # see topics.run_folder.write.write_documents
            for start in range(0, new_rows.num_rows, DOCUMENT_CHUNK):
                writer.write_table(new_rows.slice(start, DOCUMENT_CHUNK))


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
    table = read_topics_table(run_dir / TOPICS, as_text=True)
    topics = documents["topic"].astype(int)
    stats = topic_sizes(topics, documents["lang"].astype(str))
    if -1 in stats.index and "-1" not in set(table["topic"]):
        outliers = {column: "" for column in table.columns} | {"topic": "-1", "label": "Outliers"}
        table = pd.concat([pd.DataFrame([outliers]), table], ignore_index=True)
    ids = table["topic"].astype(int)
    table["size"] = ids.map(stats["size"]).fillna(0).astype(int).astype(str)
    for column in ("share_zh", "share_en"):
        if column in table.columns:
            table[column] = ids.map(stats[column]).fillna(0.0).astype(str)
    return table


def _update_manifest(
    manifest: dict[str, Any], documents: pd.DataFrame, record: dict[str, Any]
) -> dict[str, Any]:
    """The manifest with the counts of ``documents`` and ``record`` appended."""
    manifest = json.loads(json.dumps(manifest))  # a copy: the caller's stays as it was read
    counts = manifest.setdefault("counts", {})
    topics = documents["topic"].astype(int)
    langs = documents["lang"].astype(str)
    counts["documents"] = len(documents)
    counts["outliers"] = int((topics == -1).sum())
    counts["assigned_later"] = int((documents["assigned_by"] == "assign").sum())
    counts["novel"] = int(counts.get("novel", 0)) + int(record["novel"])
    manifest["languages"] = language_counts(langs)
    manifest["topic_languages"] = topic_languages(topics, langs)
    manifest.setdefault("assignments", []).append(record)
    return manifest


def trends_of(
    documents: pd.DataFrame,
    manifest: dict[str, Any],
    table: pd.DataFrame,
    layer_table: pd.DataFrame | None,
) -> tuple[Any, dict[str, Any]]:
    """Trends over the run's and the appended documents: each one's ``date``, else, for an
    assigned document, when it was assigned (``assigned_at``)."""
    columns = [c for c in manifest.get("layers") or ["topic"] if c in documents.columns]
    labels = layer_labels(table, layer_table, columns)
    settings = (manifest.get("config") or {}).get("trends") or {}
    values = document_dates(documents)
    return run_trends(
        values if any(v is not None for v in values) else None,
        {column: documents[column].astype(int).to_numpy() for column in columns},
        labels,
        settings.get("period", "auto"),
        settings.get("recent", "auto"),
    )
