"""Building the page from run folders: self-contained, safely embedded, small charts correct."""

from __future__ import annotations

import base64
import gzip
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.offline
import pytest

from topics.errors import InputError
from topics.registry import charts
from topics.report import build_report, load_run, open_report
from topics.report.charts.over_time import parse_date
from topics.report.charts.similarity import classical_mds, cosine_distances
from topics.report.page import script_json


def data_blocks(html_text: str) -> dict[str, str]:
    return dict(
        re.findall(r'<script type="application/json" id="([^"]+)">(.*?)</script>', html_text, re.S)
    )


def test_page_is_self_contained_and_embeds_plotly_once(hostile_report: Path) -> None:
    html_text = hostile_report.read_text("utf-8")
    blocks = data_blocks(html_text)
    bundle = json.loads(blocks["plotly-js"])
    assert (
        gzip.decompress(base64.b64decode(bundle["data"])).decode() == plotly.offline.get_plotlyjs()
    )
    assert html_text.count(bundle["data"][:1000]) == 1
    assert len(re.findall(r"<script nonce=", html_text)) == 1
    # plotly.js mentions URLs in its code; the page's own markup must not load any.
    markup = re.sub(r"<script nonce=[^>]*>.*?</script>", "", html_text, flags=re.S)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", markup), "external resource"
    assert not re.search(r"<(link|img|iframe)\b", markup), "external element"
    assert "cdn." not in markup.lower()
    assert "default-src 'none'" in html_text


def test_corpus_text_never_appears_raw_in_the_html(hostile_report: Path) -> None:
    html_text = hostile_report.read_text("utf-8")
    documents = pd.read_parquet(hostile_report.parent / "documents.parquet")
    # Outside the two trusted script elements there is no <script> from the corpus...
    assert "window.__pwned" not in html_text
    blocks = data_blocks(html_text)
    for payload in blocks.values():
        assert (
            "<" not in payload and ">" not in payload and "&" not in payload.replace("\\u0026", "")
        )
        json.loads(payload)
    # ...and the embedded table round-trips to exactly the documents.
    packed = json.loads(blocks["doc-data"])
    table = json.loads(gzip.decompress(base64.b64decode(packed["data"])))
    assert table["id"] == list(documents["id"])
    assert table["text"] == list(documents["text"])
    assert table["topic"] == [int(t) for t in documents["topic"]]


def test_script_json_escapes_everything_that_could_end_a_script() -> None:
    value = {"t": "</script><!-- & \u2028 \u2029 <img src=x onerror=alert(1)>"}
    text = script_json(value)
    for bad in ["<", ">", "&", "\u2028", "\u2029"]:
        assert bad not in text
    assert json.loads(text) == value


def test_every_chart_is_registered_and_returns_a_known_type(hostile_report: Path) -> None:
    expected = {"document_map", "topic_words", "similarity", "hierarchy", "languages",
                "over_time", "labels"}  # fmt: skip
    assert expected <= set(charts.names())
    data = load_run(hostile_report.parent)
    for name in expected:
        result = charts.get(name)(data)
        assert result is None or isinstance(result, go.Figure | str), name
    # The hostile corpus has dates and labels: those breakdowns apply.
    assert isinstance(charts.get("over_time")(data), go.Figure)
    assert isinstance(charts.get("labels")(data), go.Figure)


def test_plotly_strings_are_html_escaped(hostile_report: Path) -> None:
    data = load_run(hostile_report.parent)
    for name in ["document_map", "languages", "labels", "topic_words", "hierarchy"]:
        result = charts.get(name)(data)
        if isinstance(result, go.Figure):
            text = result.to_json()
            assert "<script" not in text and "<img" not in text, name


def test_rebuild_is_atomic_and_reads_only_the_run_folder(
    hostile_report: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copied-run"
    shutil.copytree(hostile_report.parent, copy)
    (copy / "index.html").unlink()
    written = build_report(copy)
    assert written == copy / "index.html"
    assert written.stat().st_size > 1_000_000
    assert sorted(p.name for p in copy.iterdir() if p.name.startswith(".")) == []  # no temp file
    (copy / "map2d.npy").unlink()
    with pytest.raises(InputError, match="map2d.npy"):
        build_report(copy)


def test_open_report_without_browser_returns_the_path(
    hostile_report: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BROWSER", "true")  # a "browser" command that opens nothing
    path = open_report(hostile_report.parent)
    assert path == str(hostile_report.resolve())


@pytest.mark.parametrize("count", [1, 2, 3, 4, 7])
def test_similarity_layout_works_for_few_topics(count: int) -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(count, 16)).astype(np.float32)
    xy = classical_mds(cosine_distances(vectors))
    assert xy.shape == (count, 2)
    assert np.isfinite(xy).all()
    if count == 2:
        # Two topics at their cosine distance apart.
        distance = cosine_distances(vectors)[0, 1]
        assert np.linalg.norm(xy[0] - xy[1]) == pytest.approx(distance, rel=1e-6)


def test_cosine_distances_tolerate_zero_vectors() -> None:
    distances = cosine_distances(np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 0.0]]))
    assert np.isfinite(distances).all()
    assert distances[1, 2] == pytest.approx(0.0)
    assert distances[0, 1] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2007", "2007-01-01"),
        ("2007-04", "2007-04-01"),
        ("2007-04-02", "2007-04-02"),
        ("2021年3月", "2021-03-01"),
        ("2019/11/5", "2019-11-05"),
        ("11/26/2008", "2008-11-26"),
        ("2020-13", "2020-01-01"),
    ],
)
def test_dates_parse_leniently(text: str, expected: str) -> None:
    assert parse_date(text) == pd.Timestamp(expected)


@pytest.mark.parametrize("text", [None, "", "unknown", float("nan")])
def test_unparseable_dates_are_none(text: object) -> None:
    assert parse_date(text) is None


def test_large_run_page_carries_a_sample_but_counts_everything(
    sample_report: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 9: a 100k run made a 58 MB page; above the limit the page carries a sample."""
    import topics.report.data as report_data

    copy = tmp_path / "run"
    shutil.copytree(sample_report.parent, copy)
    monkeypatch.setattr(report_data, "PAGE_DOCUMENT_LIMIT", 20)
    data = load_run(copy)
    documents = data.documents
    representative = {
        str(i) for entry in data.topic_words.values() for i in entry["representative_ids"]
    }
    shown = documents.iloc[data.shown_rows]
    assert data.sampled and 20 <= len(shown) <= 20 + len(representative)
    assert representative <= set(shown["id"])
    html_text = build_report(copy).read_text("utf-8")
    blocks = data_blocks(html_text)
    table = json.loads(gzip.decompress(base64.b64decode(json.loads(blocks["doc-data"])["data"])))
    assert table["id"] == shown["id"].tolist()
    # Map points and representative documents point into the page's table...
    figure = json.loads(blocks["fig-document_map"])
    for trace in figure["data"]:
        for position in trace.get("customdata") or []:
            assert 0 <= position < len(table["id"])
    assert sum(len(t.get("customdata") or []) for t in figure["data"]) == len(shown)
    page = json.loads(blocks["run-data"])
    for topic in page["topics"]:
        assert all(table["topic"][row] == topic["topic"] for row in topic["representative"])
        # ...while sizes and language counts are the whole run's.
        members = documents[documents["topic"] == topic["topic"]]
        assert topic["size"] == len(members)
        assert topic["langs"] == members["lang"].astype(str).value_counts().to_dict()
    assert (page["shown"], page["total"]) == (len(shown), len(documents))
    assert f"random sample of {len(shown)} of the run" in html_text


def test_page_text_is_capped_by_bytes_as_well_as_by_count(
    sample_report: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run of long abstracts (or many topics) must not push the page over 25 MB."""
    import topics.report.data as report_data

    copy = tmp_path / "run"
    shutil.copytree(sample_report.parent, copy)
    documents = pd.read_parquet(copy / "documents.parquet")
    size = (
        documents["title"].fillna("").str.encode("utf-8").str.len()
        + documents["text"].fillna("").str.encode("utf-8").str.len()
    )
    data = load_run(copy)
    representative = {
        str(i) for entry in data.topic_words.values() for i in entry["representative_ids"]
    }
    is_representative = documents["id"].astype(str).isin(representative)
    # Room for the representative documents and about five more.
    budget = int(size[is_representative].sum() + 5 * size.median())
    assert size.sum() > budget and len(documents) <= report_data.PAGE_DOCUMENT_LIMIT
    monkeypatch.setattr(report_data, "PAGE_TEXT_BYTES", budget)
    data = load_run(copy)
    shown = documents.iloc[data.shown_rows]
    assert data.sampled and representative <= set(shown["id"])
    assert size.iloc[data.shown_rows].sum() <= budget
    # The page's text comes from the file, row for row, and only the shown rows are read.
    np.testing.assert_array_equal(data.text_bytes, size.to_numpy())
    assert data.shown_documents["text"].tolist() == shown["text"].tolist()
    assert "text" not in data.documents.columns
    assert 1 <= (~shown["id"].astype(str).isin(representative)).sum() <= 10
    assert list(data.shown_rows) == sorted(set(data.shown_rows))
