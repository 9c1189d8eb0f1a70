"""Command line: ``topics run | validate | init | assign | report | open | sweep``.

Parses arguments, calls the public API and turns :class:`~topics.errors.TopicsError` into one
readable line on stderr with exit code 2 (never a traceback).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from topics.errors import TopicsError

app = typer.Typer(
    help="Topics from research abstracts (Chinese + English), driven by YAML configs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, highlight=False)
out = Console(highlight=False)

F = TypeVar("F", bound=Callable[..., Any])

SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Override a config key, e.g. --set umap.n_neighbors=30 (values of string keys are "
        "kept as text, others parsed as JSON: --set corpus.paths='[\"a.jsonl\"]').",
    ),
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print only the run folder.")]
NoWaitOption = Annotated[
    bool,
    typer.Option(
        "--no-wait", help="Fail at once when another process is changing RUN_DIR (default: wait)."
    ),
]


def user_errors(command: F) -> F:
    """Print TopicsError as one line and exit 2; let real bugs keep their traceback."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except TopicsError as error:
            # escape: a message may hold "[transformers]", which rich would eat as markup
            err.print(f"[bold red]error:[/] {escape(str(error))}", soft_wrap=True)
            raise typer.Exit(code=error.exit_code) from None
        except KeyboardInterrupt:
            err.print("interrupted; earlier run folders and caches are intact")
            raise typer.Exit(code=130) from None

    return wrapper  # type: ignore[return-value]


class RichProgress:
    """Per-stage progress bars and a summary line per stage, for interactive use."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.bar = Progress(
            TextColumn("[bold]{task.description:<10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.task: Any = None
        self.rows: list[tuple[str, float, str]] = []

    def start(self, stage: str, total: int | None = None) -> None:
        if not self.bar.live.is_started:
            self.bar.start()
        self.task = self.bar.add_task(stage, total=total)

    def advance(self, amount: int) -> None:
        if self.task is not None:
            self.bar.advance(self.task, amount)

    def finish(self, stage: str, seconds: float, note: str = "") -> None:
        if self.task is not None:
            self.bar.remove_task(self.task)
            self.task = None
        self.rows.append((stage, seconds, note))
        self.console.print(f"  [green]✓[/] {stage:<10} {seconds:7.2f}s  {note}", soft_wrap=True)

    def close(self) -> None:
        if self.bar.live.is_started:
            self.bar.stop()


@app.command()
@user_errors
def run(
    config: Annotated[Path, typer.Argument(help="YAML config file.")],
    set_: SetOption = None,
    seeds: Annotated[
        int | None,
        typer.Option(
            "--seeds",
            help="Stability check over N seeds (run.seeds): ARI, and topics.csv stability.",
        ),
    ] = None,
    quiet: QuietOption = False,
) -> None:
    """Run the pipeline for CONFIG; the last line printed is the run folder."""
    from topics.config import load_config
    from topics.pipeline import run_pipeline
    from topics.preflight import preflight

    overrides = list(set_ or [])
    if seeds is not None:
        overrides.append(f"run.seeds={seeds}")
    cfg = load_config(config, overrides)
    checked = preflight(cfg, config, overrides)  # errors name the YAML file's line
    progress = None if quiet else RichProgress(err)
    try:
        result = run_pipeline(cfg, progress, checked=checked)
    finally:
        if progress is not None:
            progress.close()
    if not quiet:
        _summary(result.manifest)
        for warning in result.warnings:
            err.print(f"[yellow]warning:[/] {escape(warning)}", soft_wrap=True)
        for note in result.notes:
            err.print(f"note: {escape(note)}", soft_wrap=True)
    print(result.run_dir)


def _summary(manifest: dict[str, Any]) -> None:
    counts, metrics = manifest["counts"], manifest.get("metrics", {})
    table = Table(title="Run summary", show_header=False, box=None)
    table.add_row("documents", f"{counts['documents']} ({counts['duplicates_dropped']} dupes)")
    table.add_row("topics", str(counts["topics"]))
    share = counts["outliers"] / max(counts["documents"], 1)
    table.add_row("outliers", f"{counts['outliers']} ({share:.0%})")
    for key, value in metrics.items():
        if key in {"topics", "outlier_share"} or value is None:
            continue  # already shown above, or not defined for this run
        table.add_row(key, f"{value:.3f}" if isinstance(value, float) else str(value))
    err.print(table)


@app.command()
@user_errors
def validate(
    config: Annotated[Path | None, typer.Argument(help="YAML config file.")] = None,
    set_: SetOption = None,
    explain: Annotated[bool, typer.Option("--explain", help="List every config key.")] = False,
) -> None:
    """Check CONFIG (and overrides) as a run would before starting; --explain lists every key.

    Besides the keys and values, it builds the configured components and checks that the
    corpus files, the precomputed vectors or model, and the output/cache folders are usable.
    """
    from topics.config import explain as explain_keys
    from topics.config import load_config
    from topics.preflight import preflight

    if config is not None:
        # The same checks a run makes before any work: components, input files, folders.
        overrides = list(set_ or [])
        preflight(load_config(config, overrides), config, overrides)
        out.print(f"[green]ok[/] {escape(str(config))}")
    if explain or config is None:
        table = Table("key", "default", "description", show_lines=False)
        for key, default, description in explain_keys():
            table.add_row(key, escape(default), escape(description))
        out.print(table)


@app.command()
@user_errors
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the starter config.")] = Path(
        "topics.yaml"
    ),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter config."""
    from topics.atomic import atomic_write_text
    from topics.errors import ConfigError

    if path.exists() and not force:
        raise ConfigError(f"'{path}' already exists; pass --force to overwrite it.")
    source = Path(__file__).with_name("starter.yaml")
    # Atomic: an interrupted --force leaves the old file, never half a config.
    atomic_write_text(path, source.read_text(encoding="utf-8"), key="init PATH")
    out.print(escape(f"wrote {path}; edit corpus.paths, then: topics run {path}"))


@app.command()
@user_errors
def assign(
    run_dir: Annotated[Path, typer.Argument(help="A finished run folder.")],
    corpus: Annotated[list[str], typer.Argument(help="New documents: files, folders or globs.")],
    set_: SetOption = None,
    quiet: QuietOption = False,
    no_wait: NoWaitOption = False,
) -> None:
    """Add the documents in CORPUS to RUN_DIR without refitting; the last line is the run folder.

    Each new document gets the topic its nearest fitted documents vote for (or -1 when it is
    far from all of them, or among new documents rather than fitted ones: counted as novel).
    Novel documents are kept; groups of them become candidate topics (candidates.csv, see
    'topics adopt'). Documents already in the run are skipped.
    """
    from topics.assign.feed import assign_documents
    from topics.run_folder import RunFolder

    RunFolder.open(run_dir)
    progress = None if quiet else RichProgress(err)
    try:
        result = assign_documents(run_dir, corpus, list(set_ or []), progress, wait=not no_wait)
    finally:
        if progress is not None:
            progress.close()
    if not quiet:
        err.print(
            escape(
                f"assigned {result.added} document(s) ({result.novel} novel, "
                f"{result.outliers} outliers in all); {result.skipped} already in the run; "
                f"{result.candidates} candidate topic(s)"
            )
        )
        for warning in result.warnings:
            err.print(f"[yellow]warning:[/] {escape(warning)}", soft_wrap=True)
    print(result.run_dir)


@app.command()
@user_errors
def adopt(
    run_dir: Annotated[Path, typer.Argument(help="A run folder with candidate topics.")],
    candidate: Annotated[int, typer.Argument(help="The candidate's id (candidates.csv).")],
    quiet: QuietOption = False,
    no_wait: NoWaitOption = False,
) -> None:
    """Turn candidate topic CANDIDATE of RUN_DIR into a topic, without refitting the rest.

    Its documents take a new topic id (existing ids never change); later assigns give the
    new topic to new documents near them. The last line is the run folder.
    """
    from topics.assign.adopt import adopt_candidate
    from topics.run_folder import RunFolder

    RunFolder.open(run_dir)
    adopted = adopt_candidate(run_dir, candidate, wait=not no_wait)
    if not quiet:
        err.print(
            escape(
                f"candidate {adopted.candidate} is now topic {adopted.topic} "
                f"({adopted.documents} documents): {adopted.label}"
            )
        )
    print(adopted.run_dir)


@app.command()
@user_errors
def compare(
    run_a: Annotated[Path, typer.Argument(help="A run folder.")],
    run_b: Annotated[Path, typer.Argument(help="Another run folder.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for compare.json/html.")] = Path(
        "compare"
    ),
) -> None:
    """Match the topics of RUN_A and RUN_B one to one; split, merged, new and gone topics.

    Writes OUT/compare.json and OUT/compare.html; the last line printed is OUT.
    """
    from topics.comparison import compare_runs, write_comparison

    comparison = compare_runs(run_a, run_b)
    write_comparison(comparison, out)
    err.print(
        escape(
            f"{len(comparison['matched'])} matched ({comparison['topics_a']} topics in A, "
            f"{comparison['topics_b']} in B); {len(comparison['split'])} split, "
            f"{len(comparison['merged'])} merged, {len(comparison['new'])} new, "
            f"{len(comparison['gone'])} gone"
        )
    )
    print(out)


@app.command()
@user_errors
def report(run_dir: Annotated[Path, typer.Argument(help="A run folder.")]) -> None:
    """Rebuild index.html from a run folder's files (no refitting)."""
    from topics.report import build_report
    from topics.run_folder import RunFolder

    RunFolder.open(run_dir)
    print(build_report(run_dir))


@app.command(name="open")
@user_errors
def open_(run_dir: Annotated[Path, typer.Argument(help="A run folder.")]) -> None:
    """Open a run's dashboard in the default browser (prints its path when there is none)."""
    from topics.report import open_report
    from topics.run_folder import RunFolder

    RunFolder.open(run_dir)
    print(open_report(run_dir))


@app.command()
@user_errors
def sweep(
    sweep_file: Annotated[Path, typer.Argument(help="Sweep YAML: base config + grid + objective.")],
    output_dir: Annotated[
        Path | None, typer.Option("--output-dir", help="Parent folder (default: output.dir).")
    ] = None,
    quiet: QuietOption = False,
) -> None:
    """Run a grid/random search over config keys; writes sweep.html and best.yaml."""
    from topics.sweep import run_sweep

    bar = Progress(
        TextColumn("[bold]sweep"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=err,
        disable=quiet,
    )
    with bar:
        task = bar.add_task("", total=None)

        def on_trial(done: int, total: int, row: dict[str, Any]) -> None:
            metrics = row["metrics"]
            bar.update(
                task,
                completed=done,
                total=total,
                description=f"{row['trial']}: topics={metrics.get('topics', '–')}"
                f" npmi={_number(metrics.get('npmi'), '.3f')}"
                f" outliers={_number(metrics.get('outlier_share'), '.0%')}",
            )

        result = run_sweep(sweep_file, output_dir, on_trial)
    if not quiet and result.best is not None:
        err.print(escape(f"best: {result.best['trial']} {result.best['settings']}"), soft_wrap=True)
    print(result.folder)


def _number(value: Any, spec: str) -> str:
    """``value`` formatted with ``spec``, or "–" when a trial has none (0 topics: no NPMI)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return format(value, spec)


def main() -> None:
    """Entry point for ``python -m topics``."""
    app()


if __name__ == "__main__":
    sys.exit(main())
