"""Trends (issue 20, part 1): shares per period with intervals, emerging and declining topics."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import ROOT, SAMPLE, assert_one_line_error, make_config, topics_cli
from topics.trends import compute_trends, parse_dates, run_trends, wilson


def _feed(n: int = 6000, seed: int = 0) -> tuple[pd.Series, np.ndarray]:
    """120 days of documents over four steady topics (and outliers); from day 91 on, 30% of
    the documents are about a new topic 4 — which takes its share from the others evenly."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2024-01-01", periods=120, freq="D")
    dates = pd.Series(rng.choice(days, n))
    topics = rng.choice([0, 1, 2, 3, -1], n, p=[0.3, 0.3, 0.2, 0.1, 0.1])
    late = (dates >= days[90]).to_numpy()
    return dates, np.where(late & (rng.random(n) < 0.3), 4, topics)


def test_shares_are_counts_over_every_document_of_the_period() -> None:
    dates, topics = _feed()
    trends = compute_trends(dates, {"topic": topics}, {})
    assert trends is not None and trends.summary["period"] == "day"
    table = trends.table
    periods = dates.dt.to_period("D").astype(str)
    for _, row in table.sample(50, random_state=0).iterrows():
        in_period = (periods == row["period"]).to_numpy()
        assert row["period_documents"] == in_period.sum()  # outliers count in the total
        assert row["documents"] == (in_period & (topics == row["topic"])).sum()
        assert row["share"] == pytest.approx(row["documents"] / row["period_documents"], abs=1e-6)
        assert row["share_low"] <= row["share"] <= row["share_high"]
    assert set(table["topic"]) == {0, 1, 2, 3, 4}  # no row for the outliers


def test_a_rising_topic_is_emerging_and_the_ones_it_displaced_decline() -> None:
    dates, topics = _feed()
    summary = compute_trends(dates, {"topic": topics}, {"topic": {4: "new"}}).summary
    assert summary["recent"] == {"first": "2024-03-31", "last": "2024-04-29", "periods": 30}
    emerging = summary["emerging"]
    assert [e["topic"] for e in emerging] == [4] and emerging[0]["label"] == "new"
    assert emerging[0]["baseline_share"] < 0.01 and emerging[0]["recent_share"] > 0.2
    # Every other topic gave up 30% of its late documents: all four decline.
    assert {e["topic"] for e in summary["declining"]} == {0, 1, 2, 3}
    for entry in summary["declining"]:
        assert entry["q_value"] < 0.05 and entry["ratio"] < 1


def test_steady_topics_are_not_flagged_even_with_a_thin_period() -> None:
    rng = np.random.default_rng(1)
    days = pd.date_range("2024-01-01", periods=12, freq="MS")
    dates = pd.Series(rng.choice(days[:-1], 3000))
    dates = pd.concat([dates, pd.Series([days[-1]] * 4)], ignore_index=True)  # a thin month
    topics = rng.choice([0, 1, 2, 3], len(dates))
    for seed in range(5):
        shuffled = np.random.default_rng(seed).permutation(topics)
        summary = compute_trends(dates, {"topic": shuffled}, {}).summary
        assert summary["period"] == "month" and summary["emerging"] == []
        assert summary["declining"] == []


def test_wilson_interval_matches_the_textbook_values() -> None:
    low, high = wilson(np.array([0, 5, 50]), np.array([10, 10, 100]))
    np.testing.assert_allclose(low, [0.0, 0.2366, 0.4038], atol=1e-4)
    np.testing.assert_allclose(high, [0.2775, 0.7634, 0.5962], atol=1e-4)


def test_dates_as_abstracts_carry_them() -> None:
    parsed, bad = parse_dates(["2007-05-23", "2008-03", "2019", None, "", "next week"])
    assert parsed.dt.strftime("%Y-%m-%d").tolist()[:3] == ["2007-05-23", "2008-03-01", "2019-01-01"]
    assert parsed.isna().tolist()[3:] == [True, True, True] and bad == [5]
    assert run_trends(None, {"topic": np.zeros(3)}, {})[1]["reason"].startswith("no document")


# --------------------------------------------------------------------------------------------
# In a run


def _dated_sample(tmp: Path, bad: str | None = None) -> Path:
    """The shipped sample as JSON Lines with dates over twelve weeks (one bad one if asked)."""
    from topics.config import load_config
    from topics.corpus import load_corpus

    corpus = load_corpus(load_config(ROOT / "configs" / "fast.yaml").corpus)
    days = pd.date_range("2024-01-01", periods=84, freq="D")
    path = tmp / "dated.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for row, (doc_id, text) in enumerate(zip(corpus.ids, corpus.texts, strict=True)):
            date = days[(row * 37) % len(days)].strftime("%Y-%m-%d")
            if bad is not None and row == 3:
                date = bad
            out.write(json.dumps({"id": doc_id, "abstract": text, "date": date}) + "\n")
    return path


def _weekly_run(tmp_path: Path, session_dir: Path):  # noqa: ANN202 (RunResult)
    """The fast preset on the dated sample, with weekly trends."""
    from topics.pipeline import run_pipeline

    config = make_config(
        session_dir,
        f"corpus.paths=[{json.dumps(str(_dated_sample(tmp_path)))}]",
        f"output.dir={tmp_path / 'out'}",
        "trends.period=week",
        config=ROOT / "configs" / "fast.yaml",
    )
    return run_pipeline(config)


@pytest.mark.slow
def test_a_dated_run_writes_trends_that_recount_from_its_documents(
    tmp_path: Path, session_dir: Path
) -> None:

    result = _weekly_run(tmp_path, session_dir)
    trends = pd.read_csv(result.run_dir / "trends.csv")
    documents = pd.read_parquet(result.run_dir / "documents.parquet")
    weeks = pd.to_datetime(documents["date"]).dt.to_period("W-SUN").astype(str)
    layers = result.manifest["layers"]
    assert sorted(set(trends["layer"])) == list(range(len(layers)))
    for level, column in enumerate(layers):
        rows = trends[trends["layer"] == level]
        expected = documents[documents[column] != -1].groupby([documents[column], weeks]).size()
        got = rows.set_index(["topic", "period"])["documents"]
        assert got[got > 0].to_dict() == expected.to_dict()
    summary = result.manifest["trends"]
    assert summary["period"] == "week" and summary["documents"] == len(documents)
    assert summary["bad_dates"] == 0 and result.notes == []


@pytest.mark.slow
def test_no_dates_is_a_note_and_a_bad_date_is_one_line(tmp_path: Path, session_dir: Path) -> None:
    from topics.pipeline import run_pipeline

    result = run_pipeline(make_config(session_dir, f"output.dir={tmp_path / 'a'}"))
    assert not (result.run_dir / "trends.csv").exists()
    assert result.notes == ["no trends: no document has a date (corpus.fields.date)."]
    assert result.manifest["trends"]["reason"].startswith("no document has a date")
    bad = _dated_sample(tmp_path, bad="the 5th of never")
    args = [
        "run",
        str(ROOT / "configs" / "fast.yaml"),
        "--set",
        f"corpus.paths=[{json.dumps(str(bad))}]",
    ]
    args += ["--set", f"output.dir={tmp_path / 'b'}", "--set", f"cache.dir={session_dir / 'cache'}"]
    assert_one_line_error(topics_cli(*args), "dated.jsonl:4", "'the 5th of never'", "bad_dates")
    assert not (tmp_path / "b").exists() or not any((tmp_path / "b").iterdir())
    skipped = topics_cli(*args, "--set", "trends.bad_dates=skip", "--quiet")
    assert skipped.returncode == 0, skipped.stderr[-2000:]
    manifest = json.loads((tmp_path / "b" / "fast" / "manifest.json").read_text("utf-8"))
    assert manifest["trends"]["bad_dates"] == 1
    assert manifest["trends"]["documents"] == manifest["counts"]["documents"] - 1
    assert SAMPLE.is_dir()


@pytest.mark.slow
def test_an_assign_refreshes_the_trends_with_its_documents(
    tmp_path: Path, session_dir: Path
) -> None:
    """New documents count in the trends by their date, or when they were assigned."""
    from tests.conftest import held_out_pairs, write_documents
    from topics import Run
    from topics.assign.feed import assign_documents

    result = _weekly_run(tmp_path, session_dir)
    before = pd.read_csv(result.run_dir / "trends.csv")
    pairs = held_out_pairs()[:12]
    dated = [{"id": f"{p['id']}#en", "abstract": p["en"], "date": "2024-02-01"} for p in pairs[:6]]
    undated = [{"id": f"{p['id']}#zh", "abstract": p["zh"]} for p in pairs[6:]]
    feed = write_documents(tmp_path / "feed.jsonl", dated + undated)
    assign_documents(result.run_dir, [str(feed)], [f"cache.dir={session_dir / 'cache'}"])
    after = Run.load(result.run_dir).trends
    manifest = json.loads((result.run_dir / "manifest.json").read_text("utf-8"))
    assert manifest["trends"]["documents"] == result.manifest["trends"]["documents"] + 12
    fine_before, fine_after = before[before["layer"] == 0], after[after["layer"] == 0]
    # Each period's total is the same for every topic row; the dated six join their week.
    totals_before = fine_before.groupby("period")["period_documents"].first()
    totals_after = fine_after.groupby("period")["period_documents"].first()
    week = pd.Timestamp("2024-02-01").to_period("W-SUN")
    assert totals_after[str(week)] == totals_before.get(str(week), 0) + 6
    assert totals_after.sum() == totals_before.sum() + 12
