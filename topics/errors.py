"""User-facing errors.

Everything a user can fix (a bad config value, a missing file, an undecodable line) raises a
:class:`TopicsError`. The CLI prints its message on one line and exits with code 2; anything
else is a bug and keeps its traceback.
"""

from __future__ import annotations


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
