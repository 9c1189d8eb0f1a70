"""How the pipeline reports progress to its caller (the CLI draws it; tests pass nothing)."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """What the pipeline tells its caller about stages and rows."""

    def start(self, stage: str, total: int | None = None) -> None: ...
    def advance(self, amount: int) -> None: ...
    def finish(self, stage: str, seconds: float, note: str = "") -> None: ...


class SilentProgress:
    """A Progress that reports nothing (tests, benchmarks, nested stages)."""

    def start(self, stage: str, total: int | None = None) -> None:
        pass

    def advance(self, amount: int) -> None:
        pass

    def finish(self, stage: str, seconds: float, note: str = "") -> None:
        pass
