"""The dashboard in a real, offline Chromium: sections drawn, search, hostile text, tiny runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PWNED_HOOK = "window.__pwned = 0;"


def plotted(page: Any, selector: str) -> bool:
    """Whether plotly drew into the element (it adds .js-plotly-plot and an SVG)."""
    return page.evaluate(
        "s => { const d = document.querySelector(s);"
        " return !!d && d.classList.contains('js-plotly-plot') && !!d.querySelector('svg'); }",
        selector,
    )


def map_points(page: Any) -> int:
    """Points in the map's document traces (what plotly holds, not what we embedded)."""
    return page.evaluate(
        "() => document.getElementById('plot-document_map').data"
        ".filter(t => t.meta && (t.meta.role === 'documents' || t.meta.role === 'outliers'))"
        ".reduce((n, t) => n + t.x.length, 0)"
    )


def search(page: Any, text: str) -> int:
    """Type ``text`` into the search box; return the match count once the page has updated."""
    page.evaluate("() => { document.getElementById('search-summary').textContent = ''; }")
    page.fill("#search", text)
    page.wait_for_function("() => document.getElementById('search-summary').textContent !== ''")
    summary = page.inner_text("#search-summary")
    return int(summary.split()[0].replace(",", "")) if "matching" in summary else 0


def test_sample_page_renders_every_section(open_page, sample_report: Path) -> None:
    probe = open_page(sample_report)
    page = probe.page
    documents = pd.read_parquet(sample_report.parent / "documents.parquet")
    topics = pd.read_csv(sample_report.parent / "topics.csv")
    for section in ["map", "topics", "relations", "breakdowns", "downloads"]:
        assert page.is_visible(f"section#{section}"), section
    assert (
        page.inner_text("header h1")
        == json.loads((sample_report.parent / "manifest.json").read_text("utf-8"))["run"]["name"]
    )
    for selector in ["#plot-document_map", "#plot-topic_words", "#plot-similarity",
                     "#plot-hierarchy", "#plot-languages"]:  # fmt: skip
        assert plotted(page, selector), selector
    assert map_points(page) == len(documents)
    assert page.locator("#topic-table tbody tr").count() == len(topics)
    assert page.inner_text("#topic-title").strip() != ""
    # Each topic is listed by its name, with its keywords (the label) under it.
    cells = page.locator("#topic-table tbody tr").evaluate_all(
        "rows => rows.map(r => { const c = r.querySelector('td.label');"
        " const k = c.querySelector('.keywords');"
        " return [Number(r.dataset.topic), c.firstChild.textContent, k ? k.textContent : null]; })"
    )
    shown = topics.set_index("topic")
    for topic, name, keywords in cells:
        if topic >= 0:
            assert name == shown.loc[topic, "name"]
            assert keywords == shown.loc[topic, "label"]
    assert page.locator("#topic-docs li").count() >= 1
    page.screenshot(path=str(sample_report.parent / "screenshot.png"), full_page=True)
    probe.assert_clean()


def test_search_highlights_lists_and_opens_abstract(open_page, sample_report: Path) -> None:
    probe = open_page(sample_report)
    page = probe.page
    documents = pd.read_parquet(sample_report.parent / "documents.parquet")
    haystack = (documents["title"].fillna("") + " \n " + documents["text"]).str.lower()
    for word in ["model", "模型"]:
        expected = int(haystack.str.contains(word, regex=False).sum())
        assert expected > 0, word
        assert search(page, word.upper()) == expected  # case-insensitive
        assert page.locator("#search-results li").count() == min(expected, 200)
        highlighted = page.evaluate(
            "() => document.getElementById('plot-document_map').data"
            ".find(t => t.meta && t.meta.role === 'highlight').x.length"
        )
        assert highlighted == expected
    page.click("#search-results li:first-child button")
    row = int(page.get_attribute("#doc-panel", "data-row"))
    assert page.is_visible("#doc-panel")
    assert page.inner_text("#doc-text") == documents["text"].iloc[row]
    assert "模型" in documents["text"].iloc[row] + (documents["title"].iloc[row] or "")
    search(page, "")
    assert page.locator("#search-results li").count() == 0
    probe.assert_clean()


def test_topic_list_sorts_and_panel_follows_selection(open_page, sample_report: Path) -> None:
    probe = open_page(sample_report)
    page = probe.page
    sizes = [int(s.replace(",", "")) for s in page.locator("#topic-table tbody td.num:last-child")
             .all_inner_texts()]  # fmt: skip
    assigned = sizes[: len(sizes) - (1 if page.locator("tr[data-topic='-1']").count() else 0)]
    assert assigned == sorted(assigned, reverse=True)
    page.click("button.sort[data-sort='topic']")
    ids = [int(t) for t in page.locator("#topic-table tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.topic)") if int(t) >= 0]  # fmt: skip
    assert ids == sorted(ids)
    last = page.locator("#topic-table tbody tr").nth(len(ids) - 1)
    topic = int(last.get_attribute("data-topic"))
    last.click()
    assert page.inner_text("#topic-title").startswith(f"{topic} ·")
    words = page.evaluate("() => document.getElementById('plot-topic_words').data[0].meta.topic")
    assert words == topic
    probe.assert_clean()


def test_one_language_warning_line_and_collapsed_topic_detail(
    open_page, sample_report: Path
) -> None:
    """Issue 8 #11: one header line, not one per topic; each topic's detail in its panel."""
    manifest = json.loads((sample_report.parent / "manifest.json").read_text("utf-8"))
    flagged = [t["topic"] for t in manifest["diagnostics"]["language_split"]["topics"]]
    assert flagged, "the sample run has an all-Chinese topic: the test needs one"
    probe = open_page(sample_report)
    page = probe.page
    assert page.locator("header .warnings li").all_inner_texts() == manifest["warnings"]
    page.click(f"#topic-table tbody tr[data-topic='{flagged[0]}']")
    note = page.locator("#topic-langs details.topic-note")
    assert note.count() == 1
    assert note.get_attribute("open") is None  # collapsed
    note.locator("summary").click()
    assert "of this topic's" in note.inner_text()
    rows = page.locator("#topic-table tbody tr").evaluate_all(
        "rows => rows.map(r => Number(r.dataset.topic))"
    )
    unflagged = [topic for topic in rows if topic not in flagged]
    page.click(f"#topic-table tbody tr[data-topic='{unflagged[0]}']")
    assert page.locator("#topic-langs details.topic-note").count() == 0
    probe.assert_clean()


def test_csv_downloads_are_protected_against_formulas(open_page, hostile_report: Path) -> None:
    probe = open_page(hostile_report)
    page = probe.page
    with page.expect_download() as info:
        page.click("#download-documents")
    text = Path(info.value.path()).read_bytes().decode("utf-8-sig")
    documents = pd.read_parquet(hostile_report.parent / "documents.parquet")
    table = pd.read_csv(Path(info.value.path()), encoding="utf-8-sig", keep_default_na=False)
    assert list(table["id"].astype(str)) == list(documents["id"])
    risky = [t for t in table["title"] if t[:1] in "=+-@\t\r"]
    assert risky == [], risky
    assert any(t.startswith("'=") for t in table["title"]), "the =HYPERLINK title should be quoted"
    assert "\r\n" in text
    cells = page.evaluate("() => ['=1+2', '-3', '@x', 'plain', 'a,b', 'say \"hi\"']"
                          ".map(window.topicsReport.csvCell)")  # fmt: skip
    assert cells == ["'=1+2", "'-3", "'@x", "plain", '"a,b"', '"say ""hi"""']
    probe.assert_clean()


def test_markup_names_from_an_llm_show_as_text(
    open_page, report_runs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.naming.stub_llm import SCRIPT_NAME, StubLLM
    from tests.report.conftest import run_hostile

    with StubLLM("script") as stub:
        html_path = run_hostile(
            report_runs, "hostile-llm", "hdbscan.min_cluster_size=3",
            "topics.naming.method=llm", f"topics.naming.endpoint={stub.endpoint}",
            "topics.naming.model=stub", "topics.naming.languages=en",
        )  # fmt: skip
    probe = open_page(html_path, init_script=PWNED_HOOK)
    page = probe.page
    names = page.locator("#topic-table tbody td.label").all_inner_texts()
    assert any(SCRIPT_NAME in name for name in names), names
    for topic_row in page.locator("#topic-table tbody tr").all():
        topic_row.click()
        if SCRIPT_NAME in topic_row.inner_text():
            assert SCRIPT_NAME in page.inner_text("#topic-title")
    page.locator("#plot-document_map").scroll_into_view_if_needed()
    assert page.evaluate("window.__pwned") == 0
    assert page.locator("img").count() == 0, "a name became an element"
    probe.assert_clean()


def test_hostile_corpus_runs_no_script_and_shows_text(open_page, hostile_report: Path) -> None:
    probe = open_page(hostile_report, init_script=PWNED_HOOK)
    page = probe.page
    documents = pd.read_parquet(hostile_report.parent / "documents.parquet")
    payload_rows = [
        i
        for i, title in enumerate(documents["title"].fillna(""))
        if "<img" in title or "<script" in title
    ]
    assert payload_rows, "the hostile corpus lost its payloads"
    # Hover every point of the map: plotly renders hover text as markup. (The map must be in
    # the viewport: a run with trends has the "What changed" panel above it.)
    page.locator("#plot-document_map").scroll_into_view_if_needed()
    box = page.locator("#plot-document_map .nsewdrag").first.bounding_box()
    points = page.evaluate(
        "() => { const d = document.getElementById('plot-document_map');"
        " const xa = d._fullLayout.xaxis, ya = d._fullLayout.yaxis; const out = [];"
        " d.data.forEach(t => {"
        " if (!t.meta || !['documents','outliers'].includes(t.meta.role)) return;"
        " t.x.forEach((x, k) => out.push([xa.l2p(x), ya.l2p(t.y[k]), t.customdata[k]])); });"
        " return out; }"
    )
    hover_texts = []
    for x, y, row in points:
        page.mouse.move(box["x"] + x, box["y"] + y)
        page.wait_for_timeout(60)
        label = page.locator("#plot-document_map .hoverlayer .hovertext")
        if label.count():
            hover_texts.append((row, label.first.text_content()))
    assert any("<img" in text or "<script" in text for _, text in hover_texts), hover_texts
    for word in ["<script>", "onerror", "</script>"]:
        assert search(page, word) >= 1, word
        assert page.locator("#search-results li").count() >= 1, word
    page.click("#search-results li:first-child button")
    row = int(page.get_attribute("#doc-panel", "data-row"))
    assert page.inner_text("#doc-text") == documents["text"].iloc[row]
    assert "</script>" in page.inner_text("#doc-text")
    for topic_row in page.locator("#topic-table tbody tr").all():
        topic_row.click()
    titles = page.locator(".doc-heading").all_inner_texts()
    assert any("<script>" in t or "<img" in t for t in titles), titles
    assert page.evaluate("window.__pwned") == 0
    assert page.locator("img").count() == 0, "corpus markup became an element"
    probe.assert_clean()


@pytest.mark.parametrize("report", ["zero_topic_report", "one_topic_report"])
def test_tiny_runs_render(open_page, report: str, request: pytest.FixtureRequest) -> None:
    html_path: Path = request.getfixturevalue(report)
    probe = open_page(html_path, init_script=PWNED_HOOK)
    page = probe.page
    topics = pd.read_csv(html_path.parent / "topics.csv")
    n_topics = int((topics["topic"] >= 0).sum())
    assert n_topics == (0 if report == "zero_topic_report" else 1)
    assert plotted(page, "#plot-document_map")
    assert map_points(page) == len(pd.read_parquet(html_path.parent / "documents.parquet"))
    notes = page.locator("#relations .note").all_inner_texts()
    if n_topics == 0:
        assert len(notes) == 2, notes
        assert page.is_visible("#show-outliers")
        page.uncheck("#show-outliers")
        assert (
            page.evaluate(
                "() => document.getElementById('plot-document_map').data"
                ".find(t => t.meta && t.meta.role === 'outliers').visible"
            )
            is False
        )
    else:
        assert plotted(page, "#plot-similarity")
        assert len(notes) == 1 and "two topics" in notes[0]
    page.screenshot(path=str(html_path.parent / "screenshot.png"), full_page=True)
    assert page.evaluate("window.__pwned") == 0
    probe.assert_clean()


def test_topic_list_groups_fine_topics_under_their_overview_group(
    open_page, layered_report: Path
) -> None:
    """Issue 10: the topic list shows each overview group with its fine topics below it."""
    run_dir = layered_report.parent
    manifest = json.loads((run_dir / "manifest.json").read_text("utf-8"))
    documents = pd.read_parquet(run_dir / "documents.parquet")
    layers = pd.read_csv(run_dir / "layers.csv", keep_default_na=False, na_values=[""])
    overview = manifest["overview"]
    groups = layers[layers["layer"] == layers["layer"].max()]
    page = open_page(layered_report).page
    assert page.is_visible('button.sort[data-sort="group"]')
    rows = page.evaluate(
        "() => Array.from(document.querySelectorAll('#topic-table tbody tr')).map(tr =>"
        " tr.classList.contains('group-row') ? 'g:' + tr.cells[0].textContent"
        " : 't:' + tr.dataset.topic)"
    )
    headers = [r[2:] for r in rows if r.startswith("g:")]
    # Groups are headed by their names (layers.csv).
    assert headers == groups.sort_values(["size", "id"], ascending=[False, True])["name"].tolist()
    # Every fine topic sits under the header of its own overview group.
    group_label = dict(zip(groups["id"], groups["name"], strict=True))
    current = None
    for row in rows:
        if row.startswith("g:"):
            current = row[2:]
        elif row != "t:-1":
            topic = int(row[2:])
            group = documents.loc[documents["topic"] == topic, overview].iloc[0]
            assert group_label[group] == current
    assert plotted(page, "#plot-layers")


def test_map_names_overview_groups_zoomed_out_and_topics_zoomed_in(
    open_page, layered_report: Path
) -> None:
    """Issue 10: layer-aware map labels, and search results that show both levels."""
    run_dir = layered_report.parent
    layers = pd.read_csv(run_dir / "layers.csv", keep_default_na=False, na_values=[""])
    overview = layers[layers["layer"] == layers["layer"].max()]
    page = open_page(layered_report).page
    page.wait_for_function("() => document.getElementById('plot-document_map').dataset.labels")
    visible = (
        "() => { const d = document.getElementById('plot-document_map').data;"
        " const v = r => d.find(t => t.meta && t.meta.role === r).visible;"
        " return [v('group-labels'), v('labels')]; }"
    )
    assert page.evaluate(visible) == [True, False]
    shown = page.evaluate(
        "() => document.getElementById('plot-document_map').data"
        ".find(t => t.meta && t.meta.role === 'group-labels').text"
    )
    assert shown and all(
        any(name.startswith(text.split(" · ")[0].rstrip("…")) for name in overview["name"])
        for text in shown
    )
    # Zoom to a fifth of the map: the fine topics' names replace the groups'.
    page.evaluate(
        "() => { const div = document.getElementById('plot-document_map');"
        " const x = div.layout.xaxis.range, y = div.layout.yaxis.range;"
        " return Plotly.relayout(div, {'xaxis.range': [x[0], x[0] + (x[1] - x[0]) / 5],"
        " 'yaxis.range': [y[0], y[0] + (y[1] - y[0]) / 5]}); }"
    )
    page.wait_for_function(
        "() => document.getElementById('plot-document_map').dataset.labels === 'fine'"
    )
    assert page.evaluate(visible) == [False, True]
    page.evaluate(
        "() => Plotly.relayout(document.getElementById('plot-document_map'),"
        " {'xaxis.autorange': true, 'yaxis.autorange': true})"
    )
    page.wait_for_function(
        "() => document.getElementById('plot-document_map').dataset.labels === 'overview'"
    )
    # A search result names the document's overview group and its fine topic.
    documents = pd.read_parquet(run_dir / "documents.parquet")
    word = "the"
    assert search(page, word) > 0
    first = page.locator("#search-results li .doc-sub").first.inner_text()
    assert " › " in first
    group_text, topic_text = first.split(" · ", 1)[1].split(" › ", 1)
    topic = int(topic_text.split(" · ")[0])
    group = documents.loc[documents["topic"] == topic, layers_column(run_dir)].iloc[0]
    name = overview.loc[overview["id"] == group, "name"].iloc[0]
    assert name.startswith(group_text.rstrip("…"))


def layers_column(run_dir: Path) -> str:
    return json.loads((run_dir / "manifest.json").read_text("utf-8"))["overview"]
