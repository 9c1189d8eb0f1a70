"""The run dashboard: one self-contained ``index.html`` per run folder.

:func:`build_report` reads only the run folder's files (so ``topics report RUN_DIR`` can rebuild
a page without refitting), asks every chart registered in :data:`topics.registry.charts` for
its figure, and writes the page atomically. plotly.js is inlined once; no CDN, no web fonts,
so the page works from ``file://`` offline (BERTopic issues #455, #2418: blank pages).
"""

from __future__ import annotations

import contextlib
import secrets
import webbrowser
from pathlib import Path

import plotly.graph_objects as go

from topics import registry
from topics.report.data import RunData, load_run
from topics.report.page import ChartOutput, render_page
from topics.report.payload import documents_table, encode_documents, page_data, plotly_bundle

__all__ = ["build_report", "open_report", "load_run", "RunData"]

REPORT_NAME = "index.html"


def chart_outputs(data: RunData) -> list[ChartOutput]:
    """Run every registered chart on ``data``."""
    outputs = []
    for name in registry.charts.names():
        factory = registry.charts.get(name)
        result = factory(data)
        # A chart registered without topics.report.charts._common.chart goes to "More charts".
        placement = {
            "title": getattr(factory, "chart_title", name.replace("_", " ").capitalize()),
            "section": getattr(factory, "chart_section", None),
            "order": getattr(factory, "chart_order", 0),
        }
        if isinstance(result, go.Figure):
            outputs.append(ChartOutput(name, figure_json=result.to_json(), **placement))
        elif isinstance(result, str):
            outputs.append(ChartOutput(name, fragment=result, **placement))
        else:
            outputs.append(ChartOutput(name, **placement))
    return outputs


def build_report(run_dir: Path) -> Path:
    """Write ``index.html`` into a run folder from the folder's own files.

    Parameters
    ----------
    run_dir:
        A run folder (see the run-folder contract).

    Returns
    -------
    pathlib.Path
        The written page.

    Raises
    ------
    topics.errors.InputError
        When the folder lacks a contract file.
    """
    run_dir = Path(run_dir)
    data = load_run(run_dir)
    html_text = render_page(
        run_name=data.run_name,
        manifest=data.manifest,
        n_documents=len(data.documents),
        outputs=chart_outputs(data),
        page_data=page_data(data),
        documents_payload=encode_documents(documents_table(data)),
        plotly_payload=plotly_bundle(),
        nonce=secrets.token_urlsafe(16),
    )
    target = run_dir / REPORT_NAME
    # Temp file + rename (mode from the umask): readers never see a half-written page.
    from topics.atomic import atomic_write_text

    atomic_write_text(target, html_text, key="output.dir")
    return target


def open_report(run_dir: Path) -> str:
    """Open a run's page in the default browser, building it first if it is missing.

    Parameters
    ----------
    run_dir:
        The run folder.

    Returns
    -------
    str
        The page's path (the CLI prints it, so it can be opened by hand where no browser is).
    """
    page = Path(run_dir) / REPORT_NAME
    if not page.is_file():
        page = build_report(Path(run_dir))
    page = page.resolve()
    with contextlib.suppress(webbrowser.Error):
        webbrowser.open(page.as_uri())
    return str(page)
