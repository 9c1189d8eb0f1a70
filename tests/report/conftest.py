"""Browser fixtures: Debian's Chromium driven by Playwright, with the network blocked.

Every test page is opened through :func:`open_report_page`, which aborts and records any request
that is not ``file:``/``data:``/``blob:``, and records console errors and uncaught page errors;
``PageProbe.assert_clean()`` fails the test if any happened.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_SCHEMES = ("file:", "data:", "blob:")


@dataclass
class PageProbe:
    """A page plus what it tried to do that a self-contained, safe page must not."""

    page: Any
    blocked_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        """Fail on any network attempt, console error or uncaught exception."""
        assert self.blocked_requests == [], f"non-file requests: {self.blocked_requests}"
        assert self.console_errors == [], f"console errors: {self.console_errors}"
        assert self.page_errors == [], f"page errors: {self.page_errors}"


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """A headless Chromium, or a skip when Debian's chromium is not installed."""
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_report_page(browser: Any, html_path: Path, *, init_script: str = "") -> PageProbe:
    """Open ``html_path`` offline and wait until the page script has drawn every figure."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    probe = PageProbe(page)

    def route(request_route: Any) -> None:
        url = request_route.request.url
        if url.startswith(LOCAL_SCHEMES):
            request_route.continue_()
        else:
            probe.blocked_requests.append(url)
            request_route.abort()

    context.route("**/*", route)
    page.on(
        "console",
        lambda message: (
            probe.console_errors.append(message.text) if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: probe.page_errors.append(str(error)))
    if init_script:
        page.add_init_script(init_script)
    page.goto(html_path.resolve().as_uri())
    page.wait_for_function("document.body.dataset.ready !== undefined", timeout=60_000)
    assert page.evaluate("document.body.dataset.ready") == "1", page.inner_text("#page-error")
    return probe


@pytest.fixture
def open_page(chromium: Any) -> Iterator[Any]:
    """``open_page(path, init_script="") -> PageProbe``; contexts close after the test."""
    probes: list[PageProbe] = []

    def opener(html_path: Path, init_script: str = "") -> PageProbe:
        probe = open_report_page(chromium, html_path, init_script=init_script)
        probes.append(probe)
        return probe

    yield opener
    for probe in probes:
        probe.page.context.close()


# --------------------------------------------------------------------------------------------
# Run folders made by the real pipeline (TF-IDF embeddings except for the shared sample run).

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ROOT / "tests" / "data" / "corpus" / "hostile.jsonl"


def run_hostile(tmp: Path, name: str, *overrides: str) -> Path:
    """Run the pipeline on the hostile corpus with cheap settings; return its index.html."""
    from topics.config import load_config
    from topics.pipeline import run_pipeline

    config = load_config(
        ROOT / "configs" / "default.yaml",
        [
            f"output.dir={tmp / 'reports'}",
            f"cache.dir={tmp / 'cache'}",
            f"run.name={name}",
            f'corpus.paths=["{HOSTILE.as_posix()}"]',
            "embedding.backend=tfidf",
            "output.save_model=false",
            *overrides,
        ],
    )
    result = run_pipeline(config)
    return result.run_dir / "index.html"


@pytest.fixture(scope="session")
def report_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder shared by this package's runs (they share the embedding cache)."""
    return tmp_path_factory.mktemp("report-runs")


@pytest.fixture(scope="session")
def sample_report(sample_run: Any) -> Path:
    """The shipped sample's page, written by the real default run (USE embeddings)."""
    return sample_run.run_dir / "index.html"


@pytest.fixture(scope="session")
def hostile_report(report_runs: Path) -> Path:
    """Hostile markup in titles/abstracts; three subjects give two or more topics."""
    return run_hostile(report_runs, "hostile", "hdbscan.min_cluster_size=3")


@pytest.fixture(scope="session")
def zero_topic_report(report_runs: Path) -> Path:
    """min_cluster_size above the corpus size: every document is an outlier."""
    return run_hostile(report_runs, "zero", "hdbscan.min_cluster_size=50")


@pytest.fixture(scope="session")
def one_topic_report(report_runs: Path) -> Path:
    """Clusters merged into one by topic reduction (topics.nr_topics=1)."""
    return run_hostile(report_runs, "one", "hdbscan.min_cluster_size=3", "topics.nr_topics=1")


@pytest.fixture(scope="session")
def layered_report(report_runs: Path) -> Path:
    """A `fast` run with topic layers (both sides of the 200 held-out ChinaXiv pairs)."""
    from tests.conftest import held_out_pairs, make_config, pair_documents, write_documents
    from topics.pipeline import run_pipeline

    corpus = write_documents(report_runs / "pairs.jsonl", pair_documents(held_out_pairs()))
    config = make_config(
        report_runs,
        f"corpus.paths=[{json.dumps(str(corpus))}]",
        "run.name=layered",
        "output.save_model=false",
        config=ROOT / "configs" / "fast.yaml",
    )
    return run_pipeline(config).run_dir / "index.html"
