"""Reading a run folder's files: each reader streams what it can and names the file it failed
on (one :class:`~topics.errors.InputError`, never a pyarrow or numpy traceback).

:class:`topics.run_folder.RunFolder` is the way in; the report, ``topics assign`` and the API
read a run through it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from topics.errors import InputError, reading_run_file
from topics.run_folder.layout import MANIFEST, TEXT_COLUMNS


def read_manifest(run_dir: Path) -> dict[str, Any]:
    """A run folder's manifest; a one-line InputError when it is missing or damaged."""
    path = run_dir / MANIFEST
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


def read_layers(path: Path) -> pd.DataFrame | None:
    """``layers.csv`` (optional: runs before topic layers have none); ``parent`` as Int64."""
    if not path.is_file():
        return None
    table = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype={"parent": "Int64"})
    expected = {"layer", "id", "parent", "size", "label"}
    if not expected <= set(table.columns):
        raise InputError(f"{path}: expected columns {sorted(expected)}.")
    return table


def read_table(path: Path, **kwargs: Any) -> pd.DataFrame | None:
    """An optional CSV of the run folder (``trends.csv``, ``candidates.csv``), empty cells as
    missing; ``None`` when the run has none; a damaged one is one line naming it."""
    if not path.is_file():
        return None
    with reading_run_file(path):
        return pd.read_csv(path, keep_default_na=False, na_values=[""], **kwargs)


def split_columns(path: Path) -> tuple[list[str], list[str]]:
    """``documents.parquet``'s columns: those read whole, and the text columns it has."""
    import pyarrow.parquet as pq

    names = pq.read_schema(path).names
    return [c for c in names if c not in TEXT_COLUMNS], [c for c in TEXT_COLUMNS if c in names]


def row_groups(path: Path, columns: list[str]) -> Iterator[tuple[int, Any]]:
    """``(first row, table)`` of each row group's ``columns``, one row group in memory at a time.

    Arrow's memory pool keeps what it freed (a million abstracts' texts, streamed in batches,
    left the process 1 GB larger): it is handed back after each row group.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    start = 0
    with pq.ParquetFile(path) as file:
        for group in range(file.num_row_groups):
            table = file.read_row_group(group, columns=columns, use_threads=False)
            yield start, table
            start += table.num_rows
            del table
            pa.default_memory_pool().release_unused()


def text_bytes(path: Path) -> np.ndarray:
    """UTF-8 bytes of each document's title and text, row group by row group (missing counts 0)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    _, columns = split_columns(path)
    if not columns:
        return np.zeros(pq.ParquetFile(path).metadata.num_rows, dtype=np.int64)
    parts = []
    for _, table in row_groups(path, columns):
        sizes = np.zeros(table.num_rows, dtype=np.int64)
        for column in table.columns:
            if pa.types.is_null(column.type):  # a column with no value at all
                continue
            if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
                column = pc.cast(column, pa.string())
            lengths = pc.fill_null(pc.binary_length(column), 0)
            sizes += lengths.to_numpy().astype(np.int64)
        parts.append(sizes)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def read_text_rows(path: Path, rows: np.ndarray) -> dict[str, list[Any]]:
    """The text columns of ``documents.parquet`` at ``rows`` (sorted), row group by row group."""
    _, columns = split_columns(path)
    rows = np.asarray(rows, dtype=np.int64)
    found: dict[str, list[Any]] = {column: [] for column in columns}
    if not columns:
        return found
    for start, table in row_groups(path, columns):
        inside = rows[(rows >= start) & (rows < start + table.num_rows)] - start
        if inside.size:
            taken = table.take(inside)
            for column in columns:
                found[column].extend(taken.column(column).to_pylist())
    return found


def read_documents(path: Path) -> pd.DataFrame:
    """``documents.parquet`` without its text columns; repeated strings as categories.

    Language, ``assigned_by``, labels, dates and assignment times repeat a few values over
    every row: read dictionary-encoded they become pandas categoricals (compared, grouped and
    iterated like strings). At 1M rows that took the page build's peak from +291 to +190 MB.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    whole, _ = split_columns(path)
    schema = pq.read_schema(path)
    repeated = [
        name
        for name in whole
        if name != "id"
        and (
            pa.types.is_string(schema.field(name).type)
            or pa.types.is_large_string(schema.field(name).type)
        )
    ]
    table = pq.read_table(path, columns=whole, read_dictionary=repeated, use_threads=False)
    documents = table.to_pandas()
    del table
    pa.default_memory_pool().release_unused()
    return documents


def require_columns(path: Path, documents: pd.DataFrame, columns: tuple[str, ...]) -> None:
    """One line naming ``documents.parquet`` when it lacks a column every run writes."""
    absent = [column for column in columns if column not in documents.columns]
    if absent:
        raise InputError(f"{path}: damaged run file (no column {', '.join(absent)}).")


def read_map(path: Path, n_documents: int) -> np.ndarray:
    """A run's ``map2d.npy``: one 2-D point per document, or one line naming the file."""
    with reading_run_file(path):
        map2d = np.load(path, allow_pickle=False)
    if map2d.shape != (n_documents, 2):
        raise InputError(
            f"{path}: damaged run file ({map2d.shape} array, expected ({n_documents}, 2): one "
            "point per document of documents.parquet)."
        )
    return map2d


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: not valid UTF-8 JSON ({error}).") from None


def read_topics_table(path: Path, *, as_text: bool = False) -> pd.DataFrame:
    """``topics.csv``; ``topic`` and ``size`` as ints (every column as text with ``as_text``).

    ``keep_default_na=False``: a topic word like "nan" or "null" must stay a word.
    """
    with reading_run_file(path):
        if as_text:
            table = pd.read_csv(path, keep_default_na=False, na_values=[], dtype=str)
            table["topic"].astype(int)  # a damaged id column fails here, naming the file
            return table
        table = pd.read_csv(path, keep_default_na=False, na_values=[])
        if "topic" not in table.columns or "size" not in table.columns:
            raise InputError(f"{path}: expected columns 'topic' and 'size'.")
        table["topic"] = table["topic"].astype(int)
        table["size"] = table["size"].astype(int)
    return table
