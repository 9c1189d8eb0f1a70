"""The run folder: the one module that knows its files, and the way every command goes through.

A run folder (``<output.dir>/<run.name>``) holds::

    manifest.json       what the run was and found (config, versions, counts, metrics, timings)
    documents.parquet   one row per document: id, title, text, lang, topic, probability, ...
    topics.csv          one row per topic (-1 first): size, label, words, language shares
    layers.csv          every node of the topic layers (fine → overview)
    trends.csv          each topic's share of every period (runs whose documents carry dates)
    candidates.csv      candidate topics proposed from novel documents (after ``topics assign``)
    novel/              vectors and rows of the novel documents ``topics assign`` kept
    topic_words.json    words with scores per topic, representative documents
    topic_vectors.npy   mean embedding per topic
    map2d.npy           2-D map position per document
    assign/             what ``topics assign`` needs (core vectors, topics, embedder fingerprint)
    model/              the BERTopic model (``output.save_model``)
    index.html          the dashboard, rebuilt from the files above alone

:meth:`RunFolder.create` writes one atomically (a hidden temporary folder swapped in whole);
:meth:`RunFolder.open` opens and validates one; :meth:`RunFolder.locked` opens one under its
lock for an append (:meth:`RunFolder.append`, what ``topics assign`` does). The pipeline, the
report, ``topics assign``, the API and the CLI all go through this class; the file names are in
:mod:`topics.run_folder.layout`, and each format has one reader (:mod:`.read`) and one writer
(:mod:`.write`, :mod:`.append`).
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from topics.errors import InputError, reading_run_file
from topics.run_folder import layout
from topics.run_folder.append import Appended, append_to_run
from topics.run_folder.read import (
    read_documents,
    read_layers,
    read_manifest,
    read_map,
    read_table,
    read_text_rows,
    read_topics_table,
    require_columns,
    split_columns,
)
from topics.run_folder.swap import atomic_run_folder, recover_run_folder, run_lock
from topics.run_folder.write import RunOutputs, write_manifest, write_outputs

__all__ = [
    "Appended",
    "RunFolder",
    "RunOutputs",
    "RunWriter",
    "atomic_run_folder",
    "recover_run_folder",
    "run_lock",
]


class RunFolder:
    """A finished run folder on disk; constructing one reads nothing (see :meth:`open`).

    Parameters
    ----------
    path:
        The folder.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._locked = False

    # ---------------------------------------------------------------------------------------
    # Opening

    @classmethod
    def open(cls, path: str | Path) -> RunFolder:
        """The run folder at ``path``, checked to be one (its manifest is read once).

        Raises
        ------
        InputError
            One line when ``path`` is not a folder, has no ``manifest.json``, or its manifest
            is damaged.
        """
        folder = cls(path)
        folder.manifest  # noqa: B018 (validates: raises for a missing or damaged manifest)
        return folder

    @classmethod
    @contextlib.contextmanager
    def locked(cls, path: str | Path, *, wait: bool = True) -> Iterator[RunFolder]:
        """The run folder at ``path``, opened under its lock for an :meth:`append`.

        With ``wait=False`` a folder another process is changing is a one-line InputError
        instead of a wait.
        """
        path = Path(path)
        cls.open(path)  # one line for a folder that is not a run's, before any lock
        with run_lock(path.parent, path.name, wait=wait):
            folder = cls.open(path)  # read again: another append may have just finished
            folder._locked = True
            yield folder

    def require(self, *names: str) -> None:
        """One line naming the files a finished run has and this folder lacks."""
        missing = [name for name in names if not (self.path / name).is_file()]
        if missing:
            raise InputError(
                f"Run folder '{self.path}' is incomplete: missing {', '.join(missing)} "
                "(expected the files a finished 'topics run' writes)."
            )

    # ---------------------------------------------------------------------------------------
    # Reading

    @functools.cached_property
    def manifest(self) -> dict[str, Any]:
        """``manifest.json`` (read once per :class:`RunFolder`)."""
        return read_manifest(self.path)

    def file(self, name: str) -> Path:
        """The path of one of the folder's files (a name from :mod:`.layout`)."""
        return self.path / name

    def documents(self, *, texts: bool = False) -> pd.DataFrame:
        """``documents.parquet``; without ``texts``, every column but ``title`` and ``text``
        (repeated strings as categories: see :func:`.read.read_documents`)."""
        path = self.file(layout.DOCUMENTS)
        with reading_run_file(path):
            frame = pd.read_parquet(path) if texts else read_documents(path)
        require_columns(path, frame, ("id", "topic"))
        return frame

    def document_columns(self) -> tuple[list[str], list[str]]:
        """``documents.parquet``'s columns: those read whole, and its text columns."""
        with reading_run_file(self.file(layout.DOCUMENTS)):
            return split_columns(self.file(layout.DOCUMENTS))

    def document_names(self) -> list[str]:
        """Every column of ``documents.parquet``, in the file's order."""
        import pyarrow.parquet as pq

        with reading_run_file(self.file(layout.DOCUMENTS)):
            return list(pq.read_schema(self.file(layout.DOCUMENTS)).names)

    def text_rows(self, rows: np.ndarray) -> dict[str, list[Any]]:
        """``title`` and ``text`` of the documents at ``rows`` (sorted), streamed."""
        with reading_run_file(self.file(layout.DOCUMENTS)):
            return read_text_rows(self.file(layout.DOCUMENTS), rows)

    def topics(self, *, as_text: bool = False) -> pd.DataFrame:
        """``topics.csv`` (``topic`` and ``size`` as ints, or every cell as text)."""
        return read_topics_table(self.file(layout.TOPICS), as_text=as_text)

    def layers(self) -> pd.DataFrame | None:
        """``layers.csv``, or ``None`` for a run written before topic layers."""
        with reading_run_file(self.file(layout.LAYERS)):
            return read_layers(self.file(layout.LAYERS))

    def trends(self) -> pd.DataFrame | None:
        """``trends.csv``, or ``None`` for a run without dates."""
        return read_table(self.file(layout.TRENDS))

    def candidates(self) -> pd.DataFrame | None:
        """``candidates.csv``, or ``None`` before any ``topics assign`` kept novel documents."""
        return read_table(self.file(layout.CANDIDATES), dtype={"words": str})

    def novel(self) -> tuple[np.ndarray, np.ndarray]:
        """Rows (of ``documents.parquet``) and vectors of the kept novel documents (``novel/``);
        empty arrays (``vectors`` of width 0) for a run without any."""
        folder = self.file(layout.NOVEL)
        if not (folder / "rows.npy").is_file():
            return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
        with reading_run_file(folder / "rows.npy"):
            rows = np.load(folder / "rows.npy", allow_pickle=False)
            vectors = np.load(folder / "vectors.npy", allow_pickle=False)
        if vectors.ndim != 2 or len(vectors) != len(rows):
            raise InputError(f"{folder}: rows.npy and vectors.npy do not match.")
        return rows.astype(np.int64), vectors.astype(np.float32)

    def candidate_words(self) -> dict[int, dict[str, list]]:
        """Each candidate's words with c-TF-IDF scores (``novel/words.json``; ``{}`` if none)."""
        path = self.file(layout.NOVEL) / "words.json"
        if not path.is_file():
            return {}
        with reading_run_file(path):
            return {int(k): v for k, v in json.loads(path.read_text("utf-8")).items()}

    def topic_vectors(self) -> np.ndarray:
        """``topic_vectors.npy``: ``(topics, d)``, ascending topic id (``(0, 1)`` for none)."""
        path = self.file(layout.TOPIC_VECTORS)
        with reading_run_file(path):
            vectors = np.load(path, allow_pickle=False)
        return vectors if vectors.ndim == 2 else vectors.reshape(0, 1)

    def map2d(self, n_documents: int) -> np.ndarray:
        """``map2d.npy``, checked to hold one point per document."""
        return read_map(self.file(layout.MAP), n_documents)

    def assigner(self) -> Any:
        """The run's :class:`topics.assign.store.Assigner` (``assign/``)."""
        from topics.assign.store import load_assigner

        return load_assigner(self.path)

    def fingerprint(self) -> str | None:
        """The fingerprint of the embedder the run's vectors came from (``None`` for a run
        whose embedding cannot embed new documents), without loading the vectors."""
        from topics.assign.store import read_fingerprint

        return read_fingerprint(self.path)

    # ---------------------------------------------------------------------------------------
    # Writing

    @classmethod
    @contextlib.contextmanager
    def create(cls, output_dir: str | Path, name: str) -> Iterator[RunWriter]:
        """Write a new run folder ``output_dir/name``: complete on success, absent on failure.

        The previous folder of that name stays in place, byte for byte, until the new one is
        complete; then it is swapped out in one rename (:mod:`.swap`).
        """
        with atomic_run_folder(Path(output_dir), name) as temporary:
            yield RunWriter(temporary, Path(output_dir) / name)

    def append(
        self,
        appended: Appended,
        documents: pd.DataFrame,
        layers: pd.DataFrame | None,
        build_page: Callable[[Path], Any] | None = None,
    ) -> dict[str, Any]:
        """Add documents to this run (see :mod:`.append`); returns the new manifest.

        ``documents`` (:meth:`documents`, without texts) and ``layers`` (:meth:`layers`) are
        the run's as the caller read them under the lock: they are not read again.
        ``build_page`` rebuilds ``index.html`` in the new folder before it is swapped in
        (:func:`topics.report.build_report`; the run folder knows files, not pages), when the
        run has a page.

        Must be called on a folder opened with :meth:`locked`, so no other append or run
        changed the folder since it was read.
        """
        if not self._locked:
            raise RuntimeError("RunFolder.append needs a folder opened with RunFolder.locked")
        _, text_columns = self.document_columns()
        map2d = self.map2d(len(documents))
        manifest = append_to_run(
            self.path, documents, map2d, layers, self.manifest, appended, text_columns, build_page
        )
        self.__dict__["manifest"] = manifest
        return manifest


class RunWriter:
    """The temporary folder of a run being written (:meth:`RunFolder.create`)."""

    def __init__(self, temporary: Path, final: Path) -> None:
        self.path = temporary
        self.final = final

    def write_outputs(self, outputs: RunOutputs) -> None:
        """Every data file of the run (documents, topics, layers, words, vectors, map, model,
        assigner)."""
        write_outputs(self.path, outputs)

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        """``manifest.json`` (written again as the run finishes, with its final timings)."""
        write_manifest(manifest, self.path / layout.MANIFEST)
