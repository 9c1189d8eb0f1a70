"""User-facing errors.

Everything a user can fix (a bad config value, a missing file, an undecodable line) raises a
:class:`TopicsError`. The CLI prints its message on one line and exits with code 2; anything
else is a bug and keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class TopicsError(Exception):
    """An error the user can fix; its message is shown as is, without a traceback."""

    exit_code = 2


class ConfigError(TopicsError):
    """The configuration (YAML file or ``--set`` override) is invalid."""


class InputError(TopicsError):
    """An input file (corpus, precomputed embeddings, run folder) is unusable."""


class MissingExtraError(TopicsError):
    """An optional dependency is not installed; the message names the extra to install."""

    def __init__(self, package: str, extra: str, feature: str) -> None:
        super().__init__(
            f"{feature} needs the optional package '{package}', which is not installed. "
            f"Install it with: pip install 'topics[{extra}]' (or: uv sync --extra {extra})."
        )


@contextmanager
def reading_run_file(path: Path) -> Iterator[None]:
    """Turn a damaged run-folder file into one :class:`InputError` naming it.

    A run folder is written atomically, so a file that does not parse was edited, truncated
    or copied badly afterwards: the user can fix it by running again, and a pyarrow, numpy or
    pandas traceback would only hide which file it was.
    """
    try:
        yield
    except TopicsError:
        raise
    except (OSError, ValueError, KeyError, TypeError, IndexError) as error:
        reason = f"missing {error}" if isinstance(error, KeyError) else str(error)
        reason = (reason.splitlines() or [type(error).__name__])[0].rstrip(".")
        raise InputError(
            f"{path}: damaged run file ({reason}). Run 'topics run' again to rewrite the folder."
        ) from None
