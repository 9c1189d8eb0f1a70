"""``corpus`` section → :class:`~topics.types.Corpus`: find files, read, clean, de-duplicate.

Rules (each one is a choice a user may need to know about):

- ``corpus.paths`` entries are files, directories (every supported file inside, recursively,
  sorted by path; hidden files and folders skipped, unsupported files skipped) or glob
  patterns (``**`` allowed). An entry that matches nothing is an error, as is an explicitly
  named file whose type ``corpus.format: auto`` cannot tell. A file named twice is read once.
- Texts and titles are cleaned by :func:`~topics.corpus.clean.normalise_text`; documents
  whose cleaned text is shorter than ``corpus.min_chars`` are dropped.
- Exact duplicates (same cleaned text) are dropped, keeping the first; they are counted in
  ``Corpus.duplicates_dropped``. Translation duplicates are detected later, with embeddings.
- Repeated ids are made unique with a suffix: the second ``x`` becomes ``x#2``, the third
  ``x#3`` (skipping any suffix already taken), so every id names one document.
- ``corpus.limit`` keeps the first N documents after de-duplication; reading stops there, so
  ``documents_read`` and ``duplicates_dropped`` then count only what was read.
"""

from __future__ import annotations

import glob
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from topics.config import CorpusSection
from topics.corpus.clean import normalise_optional, normalise_text
from topics.corpus.language import detect_language
from topics.corpus.readers import BUILTIN_READERS, FORMAT_SUFFIXES, format_for_path
from topics.errors import InputError
from topics.registry import readers

if TYPE_CHECKING:
    from topics.types import Corpus

logger = logging.getLogger(__name__)

_GLOB_CHARS = frozenset("*?[")


def _supported_list() -> str:
    return ", ".join(f"{'/'.join(suffixes)} ({name})" for name, suffixes in FORMAT_SUFFIXES.items())


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


def expand_paths(paths: list[str], corpus_format: str = "auto") -> list[tuple[Path, str]]:
    """Turn ``corpus.paths`` entries into ``(file, format)`` pairs, in reading order.

    Parameters
    ----------
    paths:
        Files, directories or glob patterns (relative to the working directory).
    corpus_format:
        ``"auto"`` to choose each file's reader by its suffix, or a format name to use for
        every explicitly named file (directories and globs then keep only files with that
        format's suffixes).

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
                    f"corpus.paths: '{entry}' is not a supported file type; corpus.format "
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
            raise InputError(f"corpus.paths: '{entry}' does not exist.")
        if not found:
            wanted = (
                _supported_list()
                if corpus_format == "auto"
                else "/".join(FORMAT_SUFFIXES[corpus_format])
            )
            raise InputError(
                f"corpus.paths: '{entry}' matches no readable files (looked for {wanted})."
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


def load_corpus(section: CorpusSection) -> Corpus:
    """Read, clean, de-duplicate and language-tag the documents named by a ``corpus`` section.

    Parameters
    ----------
    section:
        The run's ``corpus`` config (paths already resolved against the config's folder).

    Returns
    -------
    Corpus
        Kept documents in reading order. ``dates``/``labels`` are ``None`` when no kept
        document has that field.

    Raises
    ------
    InputError
        For a path that matches nothing, an unreadable or malformed file (the message names
        ``file:line``), or when no document is left.
    """
    from topics.types import Corpus  # lazy: topics.types imports pandas

    ids: list[str] = []
    texts: list[str] = []
    titles: list[str | None] = []
    dates: list[str | None] = []
    labels: list[str | None] = []
    sources: list[str] = []
    seen: set[str] = set()
    read = duplicates = too_short = 0
    for path, corpus_format in expand_paths(section.paths, section.format):
        reader = BUILTIN_READERS.get(corpus_format) or readers.get(corpus_format)
        records = reader(path, section.fields)
        try:
            for record in records:
                read += 1
                text = normalise_text(record.text)
                if len(text) < section.min_chars:
                    too_short += 1
                    continue
                if text in seen:
                    duplicates += 1
                    continue
                seen.add(text)
                ids.append(normalise_text(record.id) or record.source)
                texts.append(text)
                titles.append(normalise_optional(record.title))
                dates.append(normalise_optional(record.date))
                labels.append(normalise_optional(record.label))
                sources.append(record.source)
                if section.limit is not None and len(texts) >= section.limit:
                    break
        finally:
            # Stopping at the limit must close the file now, not when the generator is collected.
            close = getattr(records, "close", None)
            if close is not None:
                close()
        if section.limit is not None and len(texts) >= section.limit:
            break
    if not texts:
        raise InputError(
            f"corpus.paths: no documents found in {', '.join(section.paths)} "
            f"({read} records read, {too_short} shorter than corpus.min_chars="
            f"{section.min_chars})."
        )
    logger.info(
        "corpus: %d records read, %d kept, %d exact duplicates and %d too short dropped",
        read,
        len(texts),
        duplicates,
        too_short,
    )
    return Corpus(
        ids=unique_ids(ids),
        texts=texts,
        titles=titles,
        langs=[detect_language(text) for text in texts],
        sources=sources,
        dates=dates if any(value is not None for value in dates) else None,
        labels=labels if any(value is not None for value in labels) else None,
        documents_read=read,
        duplicates_dropped=duplicates,
    )
