"""How the pipeline reports progress to its caller (the CLI draws it; tests pass nothing)."""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
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


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


@dataclass
class StageClock:
    """Times each stage of a run and records the process's peak memory after it."""

    progress: Progress
    timings: dict[str, float] = field(default_factory=dict)
    peak_rss_mb: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str, total: int | None = None) -> Iterator[dict[str, str]]:
        """Time a stage; the body may set ``note["text"]`` for the summary line."""
        note = {"text": ""}
        self.progress.start(name, total)
        began = time.perf_counter()
        yield note
        seconds = time.perf_counter() - began
        self.timings[name] = round(self.timings.get(name, 0.0) + seconds, 3)
        # The process's peak so far, after each stage: the first stage whose value jumps is
        # the one that sets the run's peak memory.
        self.peak_rss_mb[name] = peak_rss_mb()
        self.progress.finish(name, seconds, note["text"])
