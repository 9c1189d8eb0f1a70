"""Vectors the user computed elsewhere: a ``.npy`` matrix or a Parquet list column.

A ``.npy`` file holds one row per document in corpus order; a ``.parquet`` file holds an id
column and a list<float> column and is aligned to the corpus by document id.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from topics.config import EmbeddingSection
from topics.embed.base import check_aligned
from topics.errors import ConfigError, InputError
from topics.registry import embedders

SUFFIXES = (".npy", ".parquet")


class PrecomputedEmbedder:
    """Read vectors from ``path``; the file is validated, not normalised or changed.

    Parameters
    ----------
    path:
        A ``.npy`` or ``.parquet`` file.
    column, id_column:
        Parquet only: the list<float> column and the document id column.
    """

    name = "precomputed"

    def __init__(self, path: Path, column: str = "embedding", id_column: str = "id") -> None:
        self.path = path
        self.column = column
        self.id_column = id_column

    def check_available(self) -> None:
        """Raise InputError when the file is missing (``topics.preflight``: before any work)."""
        if not self.path.is_file():
            raise InputError(f"embedding.path: file '{self.path}' does not exist.")

    @property
    def corpus_fitted(self) -> bool:
        """A ``.npy`` is matched by row position, so it must receive the whole corpus at once."""
        return self.path.suffix.lower() == ".npy"

    def fingerprint(self) -> str:
        try:
            stat = self.path.stat()
        except OSError:
            raise InputError(f"embedding.path: file '{self.path}' does not exist.") from None
        columns = ""
        if self.path.suffix.lower() == ".parquet":
            columns = f":id_column={self.id_column}:column={self.column}"
        return (
            f"precomputed:{self.path.resolve()}:size={stat.st_size}:mtime={stat.st_mtime_ns}"
            f"{columns}"
        )

    def embed(self, texts: Sequence[str], ids: Sequence[str]) -> np.ndarray:
        check_aligned(texts, ids)
        if not self.path.is_file():
            raise InputError(f"embedding.path: file '{self.path}' does not exist.")
        if self.path.suffix.lower() == ".npy":
            vectors = read_npy(self.path, len(ids))
        else:
            vectors = read_parquet(self.path, ids, self.column, self.id_column)
        if not np.all(np.isfinite(vectors)):
            bad = int(np.flatnonzero(~np.isfinite(vectors).all(axis=1))[0])
            raise InputError(
                f"{self.path.name}: row {bad} (document '{ids[bad]}') has NaN or infinite values."
            )
        zero = np.flatnonzero(~vectors.any(axis=1)) if vectors.size else np.empty(0, dtype=int)
        if zero.size:
            # No model returns an exact zero vector; it is a placeholder for a missing one, and
            # it has no direction: cosine similarity and UMAP would place it anywhere.
            raise InputError(
                f"{self.path.name}: row {int(zero[0])} (document '{ids[int(zero[0])]}') is all "
                f"zeros ({zero.size} such rows); give every document a real vector."
            )
        return vectors


def read_npy(path: Path, n_documents: int) -> np.ndarray:
    """A 2-D numeric ``.npy`` with one row per document, as float32 (pickles refused)."""
    try:
        array = np.load(path, allow_pickle=False, mmap_mode="r")
    except (ValueError, OSError) as error:
        raise InputError(f"{path.name}: not a readable .npy array ({error}).") from None
    if array.ndim != 2 or not np.issubdtype(array.dtype, np.number):
        raise InputError(
            f"{path.name}: expected a 2-D numeric array (documents × dimensions), "
            f"got shape {array.shape} of {array.dtype}."
        )
    if array.shape[0] != n_documents:
        raise InputError(
            f"{path.name} has {array.shape[0]} rows but the corpus has {n_documents} documents."
        )
    return np.asarray(array, dtype=np.float32)


def read_parquet(path: Path, ids: Sequence[str], column: str, id_column: str) -> np.ndarray:
    """Vectors from a Parquet list column, reordered to ``ids`` (every id must be present)."""
    import pyarrow.parquet as pq

    try:
        schema_names = pq.read_schema(path).names
    except Exception as error:  # pyarrow raises several types for a non-Parquet file
        raise InputError(f"{path.name}: not a readable Parquet file ({error}).") from None
    for key, name in (("embedding.id_column", id_column), ("embedding.column", column)):
        if name not in schema_names:
            raise InputError(
                f"{path.name}: no column '{name}' ({key}); columns are {schema_names}."
            )
    table = pq.read_table(path, columns=[id_column, column])
    file_ids = [str(value) for value in table.column(id_column).to_pylist()]
    row_of = {}
    for row, doc_id in enumerate(file_ids):
        row_of.setdefault(doc_id, row)  # first occurrence wins for repeated ids
    missing = [doc_id for doc_id in ids if doc_id not in row_of]
    if missing:
        shown = ", ".join(repr(doc_id) for doc_id in missing[:3])
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        raise InputError(
            f"{path.name}: no vector for {len(missing)} corpus document(s): {shown}{more} "
            f"(matched on column '{id_column}')."
        )
    values = table.column(column).to_pylist()
    picked = [values[row_of[doc_id]] for doc_id in ids]
    lengths = {len(vector) if vector is not None else 0 for vector in picked}
    if len(lengths) != 1 or 0 in lengths:
        raise InputError(
            f"{path.name}: column '{column}' must hold vectors of one length; found lengths "
            f"{sorted(lengths)[:5]}."
        )
    try:
        return np.asarray(picked, dtype=np.float32).reshape(len(ids), -1)
    except (TypeError, ValueError):
        raise InputError(f"{path.name}: column '{column}' is not a list of numbers.") from None


@embedders.register("precomputed")
def make_precomputed(section: EmbeddingSection, cache_dir: Path | None) -> PrecomputedEmbedder:
    """Factory for ``embedding.backend: precomputed`` (checks ``embedding.path``)."""
    if not section.path:
        raise ConfigError(
            "The 'embedding.path' parameter is required when embedding.backend is "
            "'precomputed' (a .npy or .parquet file). Got nothing instead."
        )
    path = Path(section.path).expanduser()
    if path.suffix.lower() not in SUFFIXES:
        raise ConfigError(
            f"The 'embedding.path' parameter must end in .npy or .parquet. Got '{section.path}'."
        )
    return PrecomputedEmbedder(path, section.column, section.id_column)
