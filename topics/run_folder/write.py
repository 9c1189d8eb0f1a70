"""Writing a run folder's files (the README's "Run folder" section is the contract).

Only :mod:`topics.run_folder` calls these: the pipeline hands a :class:`RunOutputs` to
:meth:`topics.run_folder.RunFolder.write`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from topics.common import quiet_logger
from topics.run_folder.layout import (
    ASSIGN,
    CANDIDATES,
    DIGEST,
    DOCUMENT_CHUNK,
    DOCUMENTS,
    LAYERS,
    MAP,
    MODEL,
    NOVEL,
    STRING_COLUMNS,
    TOPIC_VECTORS,
    TOPIC_WORDS,
    TOPICS,
    TRENDS,
)
from topics.run_folder.read import read_table
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
    for column in ("label", "label_en", "label_zh", "words", "name", "name_en", "name_zh"):
        if column in table.columns:
            table[column] = table[column].map(safe_csv_cell)
    table.to_csv(path, index=False, encoding="utf-8")


def document_columns(
    corpus: Corpus,
    topics: np.ndarray,
    probabilities: np.ndarray,
    assigned_by: np.ndarray | str,
    layers: dict[str, np.ndarray] | None = None,
    assigned_at: str | None = None,
) -> dict[str, Any]:
    """The columns of ``documents.parquet`` for ``corpus``'s documents, in the file's order.

    One builder for a run's rows (:func:`write_documents`) and an append's
    (``topics assign``): ``id, title, text, lang, topic, probability, assigned_by``
    (``assigned_at`` for appended rows), one int column per coarser layer, then ``date``,
    ``label`` and ``duplicate_of`` where the corpus has them.
    """
    n = len(corpus)
    columns: dict[str, Any] = {
        "id": corpus.ids,
        "title": corpus.titles,
        "text": corpus.texts,
        "lang": corpus.langs,
        "topic": np.asarray(topics, dtype=np.int64),
        "probability": np.asarray(probabilities, dtype=np.float32),
        "assigned_by": np.full(n, assigned_by, dtype=object)
        if isinstance(assigned_by, str)
        else assigned_by,
    }
    if assigned_at is not None:
        columns["assigned_at"] = np.full(n, assigned_at, dtype=object)
    for column, values in (layers or {}).items():
        columns[column] = np.asarray(values, dtype=np.int64)
    for column, values in (
        ("date", corpus.dates),
        ("label", corpus.labels),
        ("duplicate_of", corpus.duplicate_of),
    ):
        if values is not None:
            columns[column] = values
    return columns


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

    columns = document_columns(
        corpus,
        topics.assignments,
        topics.probabilities,
        np.full(len(corpus), "fit") if assigned_by is None else assigned_by,
        layers,
    )
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


@dataclass(frozen=True)
class RunOutputs:
    """Everything a run writes besides its manifest, rows in the user's reading order.

    Attributes
    ----------
    corpus, topics:
        The documents and their topics.
    assigned_by:
        ``fit`` or ``vote`` per document (see :func:`write_documents`).
    layer_columns, layer_table:
        Each document's group per coarser layer, and every layer node (``layers.csv``).
    map2d:
        float32 ``(n, 2)`` map positions.
    dimensions:
        Width of the document vectors (for an empty ``topic_vectors.npy``).
    save_model:
        Write the BERTopic model (``output.save_model``).
    assigner:
        What ``topics assign`` needs (:class:`topics.assign.store.Assigner`), or ``None``
        for a run whose vectors cannot be made for new documents.
    trends:
        ``trends.csv`` (:mod:`topics.trends`), or ``None`` for a run without dates.
    """

    corpus: Corpus
    topics: Topics
    assigned_by: np.ndarray
    layer_columns: dict[str, np.ndarray]
    layer_table: pd.DataFrame
    map2d: np.ndarray
    dimensions: int
    save_model: bool = False
    assigner: Any = None
    trends: pd.DataFrame | None = None


def write_outputs(folder: Path, outputs: RunOutputs) -> None:
    """Every data file of a run into ``folder`` (the manifest and page come after)."""
    write_topics_csv(outputs.topics, folder / TOPICS)
    write_documents(
        outputs.corpus,
        outputs.topics,
        folder / DOCUMENTS,
        outputs.assigned_by,
        outputs.layer_columns,
    )
    write_layers_csv(outputs.layer_table, folder / LAYERS)
    write_topic_words(outputs.topics, folder / TOPIC_WORDS)
    write_topic_vectors(outputs.topics, folder / TOPIC_VECTORS, outputs.dimensions)
    np.save(folder / MAP, np.asarray(outputs.map2d, dtype=np.float32))
    if outputs.trends is not None:
        outputs.trends.to_csv(folder / TRENDS, index=False, encoding="utf-8")
    if outputs.save_model:
        write_model(outputs.topics, folder / MODEL)
    if outputs.assigner is not None:
        from topics.assign.store import save_assigner

        save_assigner(outputs.assigner, folder / ASSIGN)


def write_candidates(
    folder: Path,
    rows: np.ndarray,
    vectors: np.ndarray,
    table: pd.DataFrame,
    words: dict[int, dict[str, list]],
) -> None:
    """``novel/`` (rows, vectors of the kept novel documents, the candidates' scored words)
    and ``candidates.csv``."""
    (folder / NOVEL).mkdir(exist_ok=True)
    np.save(folder / NOVEL / "rows.npy", np.asarray(rows, dtype=np.int64))
    np.save(folder / NOVEL / "vectors.npy", np.asarray(vectors, dtype=np.float32))
    text = json.dumps({str(k): v for k, v in words.items()}, ensure_ascii=False)
    (folder / NOVEL / "words.json").write_text(text, "utf-8")
    table = table.copy()
    for column in ("label", "label_en", "label_zh", "words", "words_en", "words_zh"):
        if column in table.columns:
            table[column] = table[column].map(safe_csv_cell)
    table.to_csv(folder / CANDIDATES, index=False, encoding="utf-8")


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
    """``manifest.json`` (resolved config, versions, seed, timings, counts, metrics) and, beside
    it, ``digest.md`` from it and the folder's ``trends.csv`` / ``candidates.csv``."""
    path.write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, default=_json_default), "utf-8"
    )
    write_digest(path.parent, manifest)


def write_digest(folder: Path, manifest: dict[str, Any]) -> None:
    """``digest.md`` (:func:`topics.changes.digest`), from the manifest and the tables already
    in ``folder``."""
    from topics.changes import digest, what_changed

    trends, candidates = read_table(folder / TRENDS), read_table(folder / CANDIDATES)
    changes = what_changed(manifest, trends, candidates)
    (folder / DIGEST).write_text(digest(manifest, changes), "utf-8")


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
    # BERTopic warns that no embedding model is saved: by design, vectors come from our cache.
    # Silenced for this call only: the user's own logging setup is not ours to change.
    with quiet_logger("BERTopic"):
        topics.model.save(
            str(folder), serialization="safetensors", save_ctfidf=True, save_embedding_model=False
        )
    return True
