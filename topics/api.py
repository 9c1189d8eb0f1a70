"""The Python API: ``TopicModel(config).fit(documents) -> Run``, ``Run.predict``, ``Run.assign``.

``fit`` returns a :class:`Run`, not the model itself as scikit-learn's ``fit`` would: the state
of a fitted run really is its folder (tables, vectors, assigner), which outlives the process,
so a ``Run`` is a handle on a run folder (:class:`topics.run_folder.RunFolder`).

For notebooks::

    from topics import Run, TopicModel

    run = TopicModel.from_config("configs/fast.yaml").fit(abstracts)  # list, DataFrame or None
    run.topics                   # topics.csv as a DataFrame
    run.predict(todays_abstracts)  # topics for new texts; the folder is not touched
    run.assign(todays_abstracts)   # the same, added to the run folder
    Run.load("reports/fast").documents

Documents held in memory go through the same readers as files (written once as JSON Lines to
a temporary folder): the same cleaning, language tags, de-duplication and ids. A string
without an id gets ``doc-<first 12 hex digits of its text hash>``, so the same text keeps its
id across ``fit`` and ``assign`` calls. The command line (``topics run``/``topics assign``)
runs the same code.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from topics.config import RunConfig, load_config

Documents = Iterable[str] | Iterable[Mapping[str, Any]] | pd.DataFrame | str | Path | None


class TopicModel:
    """Fits topics with one configuration; constructing it computes nothing.

    Parameters
    ----------
    config:
        A validated configuration (default: the schema's defaults).
    """

    def __init__(self, config: RunConfig | None = None) -> None:
        self.config = config if config is not None else RunConfig()

    @classmethod
    def from_config(cls, path: str | Path | None, overrides: list[str] | None = None) -> TopicModel:
        """A model for the YAML config at ``path`` with ``KEY=VALUE`` overrides."""
        return cls(load_config(path, overrides))

    def fit(self, documents: Documents = None, progress: Any = None) -> Run:
        """Run the pipeline on ``documents`` (``None``: the config's ``corpus.paths``).

        Parameters
        ----------
        documents:
            Strings (abstracts), mappings with the config's field names (``abstract``, ``id``,
            ``title``, ``date``, ``label`` by default), a DataFrame with those columns, or a
            path / glob. The run folder is ``<output.dir>/<run.name>`` as for ``topics run``.
        progress:
            Receives stage starts and timings (see :class:`topics.pipeline.Progress`).
        """
        from topics.pipeline import run_pipeline

        with _as_paths(documents, self.config) as paths:
            config = self.config
            if paths is not None:
                corpus = config.corpus.model_copy(update={"paths": paths})
                config = config.model_copy(update={"corpus": corpus})
            result = run_pipeline(config, progress)
        return Run(result.run_dir)


class Run:
    """A finished run folder: its tables, and topics for new documents without refitting.

    Parameters
    ----------
    run_dir:
        The folder ``topics run`` (or :meth:`TopicModel.fit`) wrote.
    """

    def __init__(self, run_dir: str | Path) -> None:
        self.run_dir = Path(run_dir)

    @classmethod
    def load(cls, run_dir: str | Path) -> Run:
        """Open a run folder (a one-line InputError when it is not one)."""
        from topics.run_folder import RunFolder

        RunFolder.open(run_dir)
        return cls(run_dir)

    @property
    def folder(self) -> Any:
        """The run folder (:class:`topics.run_folder.RunFolder`), checked to be one."""
        from topics.run_folder import RunFolder

        return RunFolder.open(self.run_dir)

    @property
    def manifest(self) -> dict[str, Any]:
        """``manifest.json``: config, versions, counts, metrics, timings, assignments."""
        return self.folder.manifest

    @property
    def documents(self) -> pd.DataFrame:
        """``documents.parquet``: one row per document with its topic."""
        return self.folder.documents(texts=True)

    @property
    def topics(self) -> pd.DataFrame:
        """``topics.csv``: one row per topic (``-1`` = outliers first)."""
        return self.folder.topics()

    @property
    def trends(self) -> pd.DataFrame | None:
        """``trends.csv`` (``None`` without dates); emerging and declining topics are in
        ``manifest["trends"]``."""
        return self.folder.trends()

    @property
    def candidates(self) -> pd.DataFrame | None:
        """``candidates.csv``: candidate topics :meth:`assign` proposed from novel documents
        (``None`` before any assign); :meth:`adopt` makes one a topic."""
        return self.folder.candidates()

    def adopt(self, candidate: int) -> int:
        """Turn ``candidate`` into a topic (``topics adopt``); returns the new topic's id."""
        from topics.assign.adopt import adopt_candidate

        return adopt_candidate(self.run_dir, candidate).topic

    def predict(
        self, documents: Documents, overrides: list[str] | None = None, progress: Any = None
    ) -> pd.DataFrame:
        """Topics for ``documents`` by the assigner :meth:`assign` uses; the folder is not
        changed.

        Returns
        -------
        pandas.DataFrame
            One row per document as read (cleaned, de-duplicated): ``id, topic, share``
            (the share of the nearest fitted documents that voted for the topic), ``novel``
            (far from every fitted document: its topic is then ``-1``) and ``x, y`` (where it
            would stand on the map).
        """
        from topics.assign.feed import run_config
        from topics.assign.predict import Predictor
        from topics.corpus import load_corpus

        folder = self.folder
        config = run_config(folder.manifest, folder.path, None, list(overrides or []))
        with _as_paths(documents, config) as paths:
            config = run_config(folder.manifest, folder.path, paths or [], list(overrides or []))
            predictor = Predictor.for_run(folder, config)
            corpus = load_corpus(config.corpus)
            found = predictor.predict(corpus, progress)
        coords = np.asarray(found.coords, dtype=np.float32).reshape(-1, 2)
        return pd.DataFrame(
            {
                "id": corpus.ids,
                "topic": np.asarray(found.topics, dtype=np.int64),
                "share": np.asarray(found.shares, dtype=np.float32),
                "novel": np.asarray(found.novel, dtype=bool),
                "x": coords[:, 0],
                "y": coords[:, 1],
            }
        )

    def assign(
        self, documents: Documents, overrides: list[str] | None = None, progress: Any = None
    ) -> pd.DataFrame:
        """Add ``documents`` to the run without refitting (what ``topics assign`` does).

        Returns
        -------
        pandas.DataFrame
            The rows added to ``documents.parquet`` (``assigned_by == "assign"``, this call).
        """
        from topics.assign.feed import assign_documents, run_config

        folder = self.folder
        config = run_config(folder.manifest, folder.path, None, list(overrides or []))
        with _as_paths(documents, config) as paths:
            result = assign_documents(self.run_dir, paths or [], overrides, progress)
        # The rows as appended: the run's other documents (and their texts) are not read again.
        return result.rows.reset_index(drop=True)


@contextlib.contextmanager
def _as_paths(documents: Documents, config: RunConfig) -> Iterator[list[str] | None]:
    """Corpus paths for ``documents``; in-memory documents become a temporary JSON Lines file."""
    if documents is None:
        yield None
        return
    if isinstance(documents, str | Path):
        yield [str(documents)]
        return
    records = _records(documents, config.corpus.fields)
    with tempfile.TemporaryDirectory(prefix="topics-documents-") as folder:
        path = Path(folder) / "documents.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for record in records:
                out.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        yield [str(path)]


def _records(documents: Any, fields: Any) -> list[dict[str, Any]]:
    from topics.errors import InputError
    from topics.hashing import text_hash

    if isinstance(documents, pd.DataFrame):
        rows: list[Any] = documents.to_dict(orient="records")
    else:
        rows = list(documents)
    records = []
    for number, row in enumerate(rows):
        if isinstance(row, str):
            record: dict[str, Any] = {fields.text: row}
        elif isinstance(row, Mapping):
            record = {str(key): value for key, value in row.items() if not _missing(value)}
        else:
            raise InputError(
                f"documents[{number}]: expected a string or a mapping with '{fields.text}', "
                f"got {type(row).__name__}."
            )
        text = record.get(fields.text)
        if fields.id not in record and isinstance(text, str):
            record[fields.id] = f"doc-{text_hash(text)[:12]}"
        records.append(record)
    return records


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists and arrays are values, not missing
        return False
