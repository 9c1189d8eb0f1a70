"""``corpus`` section → :class:`~topics.types.Corpus`: find files, read, clean, de-duplicate.

Rules (each one is a choice a user may need to know about):

- ``corpus.paths`` entries are files, directories (every supported file inside, recursively,
  sorted by path; hidden files and folders skipped, unsupported files skipped) or glob
  patterns (``**`` allowed). An entry that matches nothing is an error, as is an explicitly
  named file whose type ``corpus.format: auto`` cannot tell. A file named twice is read once.
- Texts and titles are cleaned by :func:`~topics.corpus.clean.normalise_text`; documents
  whose cleaned text is shorter than ``corpus.min_chars`` are dropped.
- Exact duplicates (same cleaned text) are dropped; they are counted in
  ``Corpus.duplicates_dropped``. The copy kept is the one from the file whose name sorts first
  (then its full path), earliest in that file, so the order of ``corpus.paths`` never changes
  which copy (and id) survives. Translation duplicates are detected later, with embeddings.
- Repeated ids are made unique with a suffix: the second ``x`` becomes ``x#2``, the third
  ``x#3`` (skipping any suffix already taken), so every id names one document; "second" is in
  the same file-name order as above.
- ``corpus.limit`` keeps the first N documents after de-duplication; reading stops there, so
  ``documents_read`` and ``duplicates_dropped`` then count only what was read.
"""

from __future__ import annotations

import glob
import logging
from array import array
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from topics.config import CorpusSection
from topics.corpus.clean import cut_text, normalise_optional, normalise_text
from topics.corpus.columns import Records
from topics.corpus.language import detect_language
from topics.corpus.readers import RawRecord, format_for_path, format_suffixes
from topics.corpus.texts import TextFile
from topics.errors import InputError
from topics.registry import readers

if TYPE_CHECKING:
    from topics.types import Corpus

logger = logging.getLogger(__name__)

_GLOB_CHARS = frozenset("*?[")


def _supported_list() -> str:
    return ", ".join(
        f"{'/'.join(suffixes)} ({name})" for name, suffixes in format_suffixes().items() if suffixes
    )


def _format_of(path: Path, corpus_format: str) -> str | None:
    """The reader for ``path`` inside a directory or glob: ``None`` means skip the file."""
    detected = format_for_path(path)
    if corpus_format == "auto":
        return detected
    return corpus_format if detected == corpus_format else None


def _is_hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _directory_files(directory: Path, corpus_format: str) -> list[tuple[Path, str]]:
    found = []
    for path in sorted(directory.rglob("*")):
        if path.is_file() and not _is_hidden(path, directory):
            chosen = _format_of(path, corpus_format)
            if chosen is not None:
                found.append((path, chosen))
    return found


def expand_paths(
    paths: list[str], corpus_format: str = "auto", source: str = "corpus.paths"
) -> list[tuple[Path, str]]:
    """Turn ``corpus.paths`` entries into ``(file, format)`` pairs, in reading order.

    Parameters
    ----------
    paths:
        Files, directories or glob patterns (relative to the working directory).
    corpus_format:
        ``"auto"`` to choose each file's reader by its suffix, or a format name to use for
        every explicitly named file (directories and globs then keep only files with that
        format's suffixes).
    source:
        What the entries are called in error messages (``topics assign`` names its argument).

    Returns
    -------
    list of (Path, str)
        Each file once, with the name of the reader registered for it.

    Raises
    ------
    InputError
        When an entry matches no readable file, or a named file's type is unknown.
    """
    pairs: list[tuple[Path, str]] = []
    for entry in paths:
        path = Path(entry).expanduser()
        if path.is_file():
            chosen = format_for_path(path) if corpus_format == "auto" else corpus_format
            if chosen is None:
                raise InputError(
                    f"{source}: '{entry}' is not a supported file type; corpus.format "
                    f"'auto' reads {_supported_list()}. Set corpus.format to read it anyway."
                )
            found = [(path, chosen)]
        elif path.is_dir():
            found = _directory_files(path, corpus_format)
        elif _GLOB_CHARS & set(entry):
            found = []
            for match in sorted(glob.glob(str(path), recursive=True)):
                candidate = Path(match)
                if candidate.is_dir():
                    found.extend(_directory_files(candidate, corpus_format))
                elif candidate.is_file() and (chosen := _format_of(candidate, corpus_format)):
                    found.append((candidate, chosen))
        else:
            raise InputError(f"{source}: '{entry}' does not exist.")
        if not found:
            wanted = (
                _supported_list()
                if corpus_format == "auto"
                else "/".join(format_suffixes().get(corpus_format, ())) or f"{corpus_format} files"
            )
            raise InputError(
                f"{source}: '{entry}' matches no readable files (looked for {wanted})."
            )
        pairs.extend(found)
    unique: dict[Path, tuple[Path, str]] = {}
    for file, chosen in pairs:
        unique.setdefault(file.resolve(), (file, chosen))
    return list(unique.values())


def unique_ids(ids: list[str]) -> list[str]:
    """Make ids unique: later repeats of ``x`` become ``x#2``, ``x#3``, … (first stays ``x``)."""
    taken = set(ids)
    seen: set[str] = set()
    result = []
    for doc_id in ids:
        if doc_id in seen:
            number = 2
            while f"{doc_id}#{number}" in taken:
                number += 1
            doc_id = f"{doc_id}#{number}"
            taken.add(doc_id)
        seen.add(doc_id)
        result.append(doc_id)
    return result


def _file_key(path: Path) -> tuple[str, str]:
    """Which copy of a duplicated text is kept: file name, then full path, then record number.

    It does not depend on the order of ``corpus.paths``, so listing the same files in another
    order keeps the same copies (and ids).
    """
    return (path.name, str(path.resolve()))


def load_corpus(section: CorpusSection, spill: Path | None = None, processes: int = 1) -> Corpus:
    """Read, clean, de-duplicate and language-tag the documents named by a ``corpus`` section.

    Parameters
    ----------
    section:
        The run's ``corpus`` config (paths already resolved against the config's folder).
    spill:
        A folder for the texts: they are written there as they are read and the corpus reads
        them back on demand (:mod:`topics.corpus.texts`), so a million abstracts are not a
        million strings in memory. ``None`` keeps them in a list.
    processes:
        Worker processes that clean, hash and language-tag the texts while this process reads
        (``engine.processes``; only without ``corpus.limit``, past the first
        :data:`CLEAN_CHUNK` records). The corpus is the same for any number.

    Returns
    -------
    Corpus
        Kept documents in reading order (``positions`` numbers them 0, 1, …). ``dates``/
        ``labels`` are ``None`` when no kept document has that field.

    Raises
    ------
    InputError
        For a path that matches nothing, an unreadable or malformed file (the message names
        ``file:line``), or when no document is left.
    """
    # Reading ahead would read past the limit (and could fail on a line never needed).
    reading = _Reading(section, spill, processes if section.limit is None else 1)
    try:
        for path, corpus_format in expand_paths(section.paths, section.format):
            raw_records = readers.get(corpus_format)(path, section.fields)
            try:
                full = reading.read_file(path, raw_records)
            finally:
                # Stopping at the limit must close the file now, not when it is collected.
                close = getattr(raw_records, "close", None)
                if close is not None:
                    close()
            if full:
                break
    finally:
        reading.close()
    return reading.corpus()


#: Records cleaned per task of the loader's worker processes.
CLEAN_CHUNK = 2_000

#: What :func:`prepare_texts` gives for each text: the cleaned length before any cut, the text
#: kept (cut to ``corpus.max_chars``), its digest and language (``None`` when it is dropped).
Prepared = tuple[int, str, bytes | None, str | None]


def prepare_texts(texts: list[str], *, min_chars: int, max_chars: int | None) -> list[Prepared]:
    """Clean, cut, hash and tag each text (a pure function: the loader's worker task)."""
    from topics.hashing import text_digest

    prepared: list[Prepared] = []
    for raw in texts:
        text = normalise_text(raw)
        length = len(text)
        if not text or length < min_chars:
            prepared.append((length, "", None, None))
            continue
        if max_chars is not None and length > max_chars:
            text = cut_text(text, max_chars)
        prepared.append((length, text, text_digest(text), detect_language(text)))
    return prepared


class _Reading:
    """The documents kept so far while reading a corpus, and the counts of those dropped.

    Exact duplicates are found by the text's 128-bit hash, which the run needs anyway (the
    cache key of its vectors and tokens): no text is kept in memory to compare against.
    """

    def __init__(self, section: CorpusSection, spill: Path | None, processes: int = 1) -> None:
        self.section = section
        self.processes = processes
        self.pool: Any = None
        # What prepare_texts needs of the section (a worker task gets only these).
        self.options = {"min_chars": section.min_chars, "max_chars": section.max_chars}
        self.records = Records()
        # Which record each distinct text keeps (a slot per text, in order of first sight).
        self.kept = array("q")
        self.slot_of_digest: dict[bytes, int] = {}
        self.store: TextFile | list[str] = [] if spill is None else TextFile(spill)
        self.file_keys: list[tuple[str, str]] = []
        self.read = self.duplicates = self.too_short = self.empty = 0
        self.cut = Cut()

    def read_file(self, path: Path, raw_records: Iterable[RawRecord]) -> bool:
        """Take the records of one file; whether ``corpus.limit`` was reached."""
        file, file_key = len(self.file_keys), _file_key(path)
        self.file_keys.append(file_key)
        section = self.section
        for ordinal, record, (length, text, text_digest, lang) in self._prepared(raw_records):
            self.read += 1
            if length == 0:
                self.empty += 1
            elif length < section.min_chars:
                self.too_short += 1
            else:
                if section.max_chars is not None and length > section.max_chars:
                    self.cut.add(length, record.source)
                self._take(record, text, text_digest, lang, file, file_key, ordinal)  # type: ignore[arg-type]
                if section.limit is not None and len(self.kept) >= section.limit:
                    return True
        return False

    def _prepared(
        self, raw_records: Iterable[RawRecord]
    ) -> Iterator[tuple[int, RawRecord, Prepared]]:
        """Each record with its :func:`prepare_texts` result, in order; chunks after the first
        go to the worker processes while this one reads on."""
        if self.processes <= 1:  # one record at a time: reading stops right at corpus.limit
            for ordinal, record in enumerate(raw_records, start=1):
                yield ordinal, record, prepare_texts([record.text], **self.options)[0]
            return
        pending: deque[tuple[list[tuple[int, RawRecord]], Any]] = deque()
        chunk: list[tuple[int, RawRecord]] = []
        for numbered in enumerate(raw_records, start=1):
            chunk.append(numbered)
            if len(chunk) == CLEAN_CHUNK:
                pending.append((chunk, self._submit(chunk)))
                chunk = []
                while len(pending) > 2 * self.processes or (pending and _done(pending[0][1])):
                    yield from _with_results(*pending.popleft())
        if chunk:
            pending.append((chunk, self._submit(chunk)))
        while pending:
            yield from _with_results(*pending.popleft())

    def _submit(self, chunk: list[tuple[int, RawRecord]]) -> Any:
        """Start preparing a chunk: a pool task once a first chunk was done here, else now."""
        texts = [record.text for _, record in chunk]
        # Chunks are submitted only with processes > 1; the first one is prepared here.
        if self.pool is None and self.read >= CLEAN_CHUNK:
            import multiprocessing

            self.pool = multiprocessing.get_context("fork").Pool(self.processes)
        if self.pool is None:
            return prepare_texts(texts, **self.options)
        return self.pool.apply_async(prepare_texts, (texts,), self.options)

    def close(self) -> None:
        """Stop the worker processes, if any were started."""
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None

    def _take(
        self,
        record: RawRecord,
        text: str,
        digest: bytes,
        lang: str,
        file: int,
        file_key: tuple[str, str],
        ordinal: int,
    ) -> None:
        records = self.records
        slot = self.slot_of_digest.get(digest)
        if slot is not None:
            self.duplicates += 1
            first = self.kept[slot]
            if (*file_key, ordinal) >= (
                *self.file_keys[records.files[first]],
                records.ordinals[first],
            ):
                return
            # The duplicate sorts first: it becomes the copy kept, sharing the text's stored
            # row.
            row = records.rows[first]
        else:
            row = _store(self.store, text)
        index = records.add(
            file=file,
            ordinal=ordinal,
            row=row,
            digest=digest,
            lang=lang,
            id=normalise_text(record.id) or record.source,
            title=normalise_optional(record.title),
            source=record.source,
            date=normalise_optional(record.date),
            label=normalise_optional(record.label),
        )
        if slot is not None:
            self.kept[slot] = index
            return
        self.slot_of_digest[digest] = len(self.kept)
        self.kept.append(index)

    def corpus(self) -> Corpus:
        """The kept documents in reading order (an InputError when none is left)."""
        from topics.types import Corpus  # lazy: topics.types imports pandas

        section, records = self.section, self.records
        del self.slot_of_digest  # before the lists below are made, so they can reuse its memory
        if not self.kept:
            raise InputError(
                f"corpus.paths: no documents found in {', '.join(section.paths)} "
                f"({self.read} records read: {self.empty} with an empty text field "
                f"'{section.fields.text}', {self.too_short} shorter than corpus.min_chars="
                f"{section.min_chars})."
            )
        logger.info(
            "corpus: %d records read, %d kept, %d exact duplicates, %d empty and %d too short "
            "dropped",
            self.read,
            len(self.kept),
            self.duplicates,
            self.empty,
            self.too_short,
        )
        # Record order = reading order.
        chosen = np.sort(np.frombuffer(self.kept, dtype=np.int64)).tolist()
        dates = records.dates.take(chosen)
        labels = records.labels.take(chosen)
        rows = records.column("rows")[chosen]
        store = self.store
        corpus = Corpus(
            ids=self._unique_ids(chosen),
            texts=[store[row] for row in rows.tolist()]
            if isinstance(store, list)
            else store.texts(rows),
            titles=records.titles.take(chosen),
            langs=records.langs.take(chosen),  # type: ignore[arg-type]
            sources=records.sources.packed(chosen),
            dates=dates if any(value is not None for value in dates) else None,
            labels=labels if any(value is not None for value in labels) else None,
            documents_read=self.read,
            duplicates_dropped=self.duplicates,
            cut=self.cut.summary(section.max_chars),
        )
        corpus.__dict__["text_hashes"] = records.digests_of(chosen)  # computed once
        return corpus

    def _unique_ids(self, chosen: list[int]) -> list[str]:
        """The kept records' ids made unique; suffixes for repeated ids go by the canonical
        key (file name, path, record number), so they too ignore the order of the paths."""
        records, file_keys = self.records, self.file_keys
        file_rank = np.empty(len(file_keys), dtype=np.int64)
        file_rank[sorted(range(len(file_keys)), key=file_keys.__getitem__)] = range(len(file_keys))
        by_key = np.lexsort(
            (records.column("ordinals")[chosen], file_rank[records.column("files")[chosen]])
        ).tolist()
        ids = [""] * len(chosen)
        raw_ids = [records.ids.get(chosen[i]) for i in by_key]
        for index, unique in zip(by_key, unique_ids(raw_ids), strict=True):  # type: ignore[arg-type]
            ids[index] = unique
        return ids


def _done(result: Any) -> bool:
    """Whether a chunk's preparation is finished (a list made here, or a pool task)."""
    return isinstance(result, list) or result.ready()


def _with_results(
    chunk: list[tuple[int, RawRecord]], result: Any
) -> Iterator[tuple[int, RawRecord, Prepared]]:
    prepared = result if isinstance(result, list) else result.get()
    for (ordinal, record), entry in zip(chunk, prepared, strict=True):
        yield ordinal, record, entry


class Cut:
    """Counts the texts cut to ``corpus.max_chars`` and remembers the longest one."""

    def __init__(self) -> None:
        self.count = 0
        self.longest = (0, "")

    def add(self, length: int, source: str) -> None:
        self.count += 1
        self.longest = max(self.longest, (length, source))

    def summary(self, max_chars: int | None) -> str | None:
        """One line for the run's warnings, or ``None`` when nothing was cut."""
        if not self.count:
            return None
        length, source = self.longest
        return (
            f"{self.count} document(s) longer than corpus.max_chars={max_chars} characters were "
            f"cut to it (the longest, {length:,} characters, at {source})."
        )


def _store(store: TextFile | list[str], text: str) -> int:
    """Append ``text`` to the run's text store; its row."""
    if isinstance(store, list):
        store.append(text)
        return len(store) - 1
    return store.append(text)
