"""The files of a run folder (see the README's "Run folder" section for the contract)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from topics.types import Corpus, Topics

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_csv_cell(value: Any) -> Any:
    """Neutralise spreadsheet formula injection: text starting with = + - @ gets a leading '."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def write_topics_csv(topics: Topics, path: Path) -> None:
    """``topics.csv``: one row per topic, outliers (-1) first, text cells formula-safe."""
    table = topics.table.copy()
    for column in table.columns:
        if table[column].dtype == object:
            table[column] = table[column].map(safe_csv_cell)
    table.to_csv(path, index=False, encoding="utf-8")


def write_layers_csv(table: pd.DataFrame, path: Path) -> None:
    """``layers.csv``: every layer node (see :func:`topics.layers.layers_table`), formula-safe."""
    table = table.copy()
    for column in ("label", "label_en", "label_zh", "words"):
        table[column] = table[column].map(safe_csv_cell)
    table.to_csv(path, index=False, encoding="utf-8")


#: Rows written per Parquet row group: the text of a million abstracts is never copied whole,
#: and a reader decoding one row group's texts holds ~20 MB of them (100k rows: ~400 MB).
DOCUMENT_CHUNK = 20_000
#: Columns written as strings whatever their values; the others (titles included: an
#: all-missing title column stays untyped, as pandas writes it) are typed from their values.
STRING_COLUMNS = ("id", "text", "lang", "assigned_by")


def write_documents(
    corpus: Corpus,
    topics: Topics,
    path: Path,
    assigned_by: np.ndarray | None = None,
    layers: dict[str, np.ndarray] | None = None,
) -> None:
    """``documents.parquet``: one row per document after de-duplication, in corpus order.

    ``assigned_by`` says how each document's cluster was found: ``fit`` (UMAP + HDBSCAN saw
    it) or ``vote`` (outside the fitted sample, see :mod:`topics.assign`); default all ``fit``.
    ``layers`` adds one int column per coarser topic layer (``topic_l1``, ...). Rows are written
    :data:`DOCUMENT_CHUNK` at a time (one row group each), so no table of every text is built.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns: dict[str, Any] = {
        "id": corpus.ids,
        "title": corpus.titles,
        "text": corpus.texts,
        "lang": corpus.langs,
        "topic": np.asarray(topics.assignments, dtype=np.int64),
        "probability": np.asarray(topics.probabilities, dtype=np.float32),
        "assigned_by": np.full(len(corpus), "fit") if assigned_by is None else assigned_by,
    }
    for column, values in (layers or {}).items():
        columns[column] = np.asarray(values, dtype=np.int64)
    for column, values in (
        ("date", corpus.dates),
        ("label", corpus.labels),
        ("duplicate_of", corpus.duplicate_of),
    ):
        if values is not None:
            columns[column] = values
    # One type per column for every row group: strings as strings, the rest as a whole column
    # of them would be typed (labels may be numbers; an all-missing column is null).
    schema = pa.schema(
        [
            (name, pa.string() if name in STRING_COLUMNS else _column_type(values))
            for name, values in columns.items()
        ]
    )
    pool = pa.default_memory_pool()
    with pq.ParquetWriter(path, schema) as writer:
        for start in range(0, max(len(corpus), 1), DOCUMENT_CHUNK):
            stop = start + DOCUMENT_CHUNK
            chunk = {
                name: _arrow(_as_list(values[start:stop], name), schema.field(name).type)
                for name, values in columns.items()
            }
            writer.write_table(pa.table(chunk, schema=schema))
            del chunk
            # Arrow's allocator keeps freed row groups for reuse: 1M rows left +190 MB behind.
            pool.release_unused()


def _column_type(values: Any) -> Any:
    """The Arrow type of a whole column, inferred from one value of each Python type in it.

    Converting the column itself (a million titles) only to read its type cost as much memory
    as the column; one value per type gives Arrow's inference the same choices (int and float
    make double; str and int fail as they would for the column).
    """
    if isinstance(values, np.ndarray) and values.dtype != object:
        return _arrow(values[:1]).type
    exemplars: dict[type, Any] = {}
    for value in values:
        exemplars.setdefault(type(value), value)
    return _arrow(list(exemplars.values())).type


def _arrow(values: Any, kind: Any = None) -> Any:
    """An Arrow array of ``values``; NaN is written as missing, as pandas writes it."""
    import pyarrow as pa

    return pa.array(values, type=kind, from_pandas=True)


def _as_list(values: Any, name: str) -> Any:
    """Column values as Arrow takes them (string columns' values as ``str`` or ``None``)."""
    if name not in STRING_COLUMNS:
        return values
    return [None if value is None else str(value) for value in values]


def write_topic_words(topics: Topics, path: Path) -> None:
    """``topic_words.json``: words with scores (combined and per language) per topic."""
    entries = []
    labels = dict(zip(topics.table["topic"], topics.table["label"], strict=True))
    for topic in topics.table["topic"].tolist():
        entries.append(
            {
                "topic": int(topic),
                "label": str(labels[topic]),
                "words": [[w, round(s, 6)] for w, s in topics.words.get(topic, [])],
                "words_en": [list(p) for p in topics.language_words.get("en", {}).get(topic, [])],
                "words_zh": [list(p) for p in topics.language_words.get("zh", {}).get(topic, [])],
                "representative_ids": topics.representative_ids.get(topic, []),
            }
        )
    path.write_text(json.dumps({"topics": entries}, ensure_ascii=False, indent=1), "utf-8")


def write_topic_vectors(topics: Topics, path: Path, dimensions: int) -> None:
    """``topic_vectors.npy``: unit mean embedding per non-outlier topic, ascending topic id."""
    order = sorted(topics.topic_vectors)
    matrix = (
        np.stack([topics.topic_vectors[t] for t in order]).astype(np.float32)
        if order
        else np.zeros((0, dimensions), dtype=np.float32)
    )
    np.save(path, matrix)


def write_manifest(manifest: dict[str, Any], path: Path) -> None:
    """``manifest.json``: resolved config, versions, seed, timings, counts, metrics."""
    path.write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, default=_json_default), "utf-8"
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def write_model(topics: Topics, folder: Path) -> bool:
    """Save the BERTopic model with safetensors (no pickle: BERTopic #1783, #2010).

    Returns ``False`` when there is no model to save (no topic was found).
    """
    if topics.model is None:
        return False
    from topics.represent.bertopic_stage import quiet_logger

    # BERTopic warns that no embedding model is saved: by design, vectors come from our cache.
    # Silenced for this call only: the user's own logging setup is not ours to change.
    with quiet_logger("BERTopic"):
        topics.model.save(
            str(folder), serialization="safetensors", save_ctfidf=True, save_embedding_model=False
        )
    return True
