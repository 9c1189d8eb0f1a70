"""``topics assign RUN_DIR NEW_CORPUS``: add documents to a finished run without refitting.

The new documents are read with the run's own readers and settings, embedded through the
cache with the run's embedder (refused if it is not the one the run's vectors came from),
and given the topic their nearest core documents vote for (:mod:`topics.assign.store`).
``documents.parquet`` gains them with ``assigned_by: assign`` and ``assigned_at``; topic sizes
and language shares in ``topics.csv``, the counts in ``manifest.json``, ``map2d.npy`` and
``index.html`` are refreshed. The run folder does the writing (:meth:`topics.run_folder.RunFolder.
append`): it is rebuilt beside the old one and swapped in whole, so a failed assign leaves the
run untouched, and the folder's lock is held from reading the run to the swap, so a second
assign into the same folder waits (or, with ``--no-wait``, fails in one line) instead of
losing the first one's rows.

Choices where the issue was silent: a document whose id and text are already in the run is
skipped and counted; an id already in the run with another text is an error (exit 2) naming
the id; the same text under a new id is a new document. Topic words, labels and the fitted
models are not changed: assigning is not refitting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from topics.assign.candidates import update_candidates
from topics.assign.predict import Predictor
from topics.config import RunConfig, apply_overrides, override_origins, validate_config
from topics.errors import InputError
from topics.layers import Layers
from topics.run_folder import Appended, RunFolder
from topics.run_folder.write import document_columns
from topics.trends import check_dates

#: Columns only appended rows have at first (the run's own rows get them at the first append).
APPENDED_COLUMNS = ("assigned_by", "assigned_at", "novel", "candidate")


@dataclass(frozen=True)
class AssignResult:
    """What one ``topics assign`` did."""

    run_dir: Path
    added: int
    skipped: int
    novel: int
    outliers: int
    candidates: int
    manifest: dict[str, Any]
    warnings: list[str]
    rows: pd.DataFrame


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
    run_dir: Path,
    paths: list[str],
    overrides: list[str] | None = None,
    progress: Any = None,
    *,
    wait: bool = True,
) -> AssignResult:
    """Add the documents in ``paths`` to the run in ``run_dir``; see the module docstring.

    With ``wait=False`` a run folder that another process is changing is a one-line
    InputError instead of a wait.
    """
    from topics.corpus import load_corpus
    from topics.report import build_report

    with RunFolder.locked(run_dir, wait=wait) as run:
        config = run_config(run.manifest, run.path, paths, list(overrides or []))
        predictor = Predictor.for_run(run, config, corpus_source="topics assign FILES")
        # The run's texts stay on disk: only the other columns are read (1M abstracts are
        # ~1.5 GB in memory), and the new documents.parquet is streamed row group by row group.
        documents = run.documents()
        corpus = load_corpus(config.corpus)
        fresh, skipped = _new_rows(corpus, documents, run)
        new = corpus.subset(fresh)
        check_dates(new.dates, new.sources, config.trends.bad_dates)  # before embedding
        found = predictor.predict(new, progress)
        assigned_at = datetime.now(UTC).isoformat(timespec="seconds")
        update = update_candidates(run, documents, new, found, assigned_at, config)
        layer_table = run.layers()
        layers = (
            None
            if layer_table is None
            else Layers.from_table(layer_table).of_documents(found.topics)
        )
        # No HDBSCAN membership is measured for an assigned document (see
        # topics.represent.membership): NaN, as for documents reassigned within a run.
        columns = document_columns(
            new,
            found.topics,
            np.full(len(new), np.nan, dtype=np.float32),
            "assign",
            layers,
            assigned_at,
        )
        columns["novel"] = np.asarray(found.novel, dtype=bool)
        columns["candidate"] = update.column[len(documents) :]
        # The run's columns in its file's order (a run written before assign has none of
        # assigned_by, assigned_at, novel and candidate: they come last).
        names = run.document_names()
        names += [name for name in APPENDED_COLUMNS if name not in names]
        rows = pd.DataFrame(columns).reindex(columns=names)
        record = {
            "at": assigned_at,
            "paths": [str(path) for path in paths],
            "added": len(new),
            "skipped": skipped,
            "novel": int(found.novel.sum()),
            "novel_crowded": int(found.crowded.sum()),
            "candidates": len(update.table),
        }
        manifest = run.append(
            Appended(rows, found.coords, record, update),
            documents,
            layer_table,
            build_page=build_report,
        )
    return AssignResult(
        run_dir=run.path,
        added=len(new),
        skipped=skipped,
        novel=int(found.novel.sum()),
        outliers=int((found.topics == -1).sum()),
        candidates=len(update.table),
        manifest=manifest,
        warnings=[new.cut] if new.cut else [],
        rows=rows,
    )


def _new_rows(corpus: Any, documents: pd.DataFrame, run: RunFolder) -> tuple[list[int], int]:
    """Rows of ``corpus`` not yet in the run, and how many were already there (same id + text).

    Only the texts of ids already in the run are read from its ``documents.parquet``.
    """
    found = pd.Index(documents["id"].astype(str)).get_indexer(list(corpus.ids))
    known_rows = np.unique(found[found >= 0])
    known_texts = run.text_rows(known_rows).get("text", [None] * len(known_rows))
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
