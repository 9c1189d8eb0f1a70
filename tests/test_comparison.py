"""``topics compare`` (issue 20, part 3): topics of two runs matched one to one."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import ROOT, assert_one_line_error, make_config, topics_cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def two_seeds(tmp_path_factory: pytest.TempPathFactory, session_dir: Path) -> tuple[Path, Path]:
    """The sample with the fast preset under two seeds (the same documents)."""
    from topics.pipeline import run_pipeline

    out = tmp_path_factory.mktemp("compare")
    runs = []
    for seed in (42, 7):
        config = make_config(
            session_dir,
            f"output.dir={out}",
            f"run.name=seed-{seed}",
            f"run.seed={seed}",
            "output.report=false",
            config=ROOT / "configs" / "fast.yaml",
        )
        runs.append(run_pipeline(config).run_dir)
    return runs[0], runs[1]


def test_a_run_against_itself_matches_every_topic_whole(two_seeds) -> None:
    import topics

    run, _ = two_seeds
    comparison = topics.compare(run, run)
    sizes = pd.read_csv(run / "topics.csv").set_index("topic")["size"]
    assert comparison["mode"] == "documents"
    assert [(p["a"], p["b"], p["jaccard"]) for p in comparison["matched"]] == [
        (t, t, 1.0) for t in sorted(sizes.index) if t != -1
    ]
    assert comparison["split"] == comparison["merged"] == []
    assert comparison["new"] == comparison["gone"] == []


def test_two_seeds_are_matched_one_to_one_by_their_documents(two_seeds) -> None:
    from topics.comparison import compare_runs

    a, b = two_seeds
    comparison = compare_runs(a, b)
    docs_a = pd.read_parquet(a / "documents.parquet", columns=["id", "topic"])
    docs_b = pd.read_parquet(b / "documents.parquet", columns=["id", "topic"])
    assert comparison["shared_documents"] == len(docs_a) == len(docs_b)
    matched = comparison["matched"]
    assert len({p["a"] for p in matched}) == len({p["b"] for p in matched}) == len(matched)
    assert matched, "two seeds of the sample share no topic"
    for pair in matched:  # the Jaccard values are the documents' overlap
        in_a = set(docs_a.loc[docs_a["topic"] == pair["a"], "id"])
        in_b = set(docs_b.loc[docs_b["topic"] == pair["b"], "id"])
        assert pair["jaccard"] == pytest.approx(len(in_a & in_b) / len(in_a | in_b), abs=1e-4)
    # Every topic is accounted for: matched, split / merged, new or gone.
    topics_a = set(docs_a["topic"]) - {-1}
    topics_b = set(docs_b["topic"]) - {-1}
    seen_a = {p["a"] for p in matched} | set(comparison["gone"])
    seen_a |= {s["a"] for s in comparison["split"]} | {
        t for m in comparison["merged"] for t in m["a"]
    }
    seen_b = {p["b"] for p in matched} | set(comparison["new"])
    seen_b |= {t for s in comparison["split"] for t in s["b"]} | {
        m["b"] for m in comparison["merged"]
    }
    assert seen_a == topics_a and seen_b == topics_b


def test_runs_without_shared_documents_are_matched_by_topic_vectors(
    two_seeds, tmp_path: Path
) -> None:
    import shutil

    from topics.comparison import compare_runs

    a, _ = two_seeds
    copy = tmp_path / "renamed"
    shutil.copytree(a, copy)
    documents = pd.read_parquet(copy / "documents.parquet")
    documents["id"] = "other-" + documents["id"].astype(str)
    documents.to_parquet(copy / "documents.parquet")
    comparison = compare_runs(a, copy)
    assert comparison["mode"] == "vectors" and comparison["shared_documents"] == 0
    assert all(
        p["a"] == p["b"] and p["cosine"] == pytest.approx(1.0) for p in comparison["matched"]
    )
    vectors = np.load(a / "topic_vectors.npy")
    assert len(comparison["matched"]) == len(vectors)


def test_the_cli_writes_json_and_an_escaped_page(two_seeds, tmp_path: Path) -> None:
    a, b = two_seeds
    out = tmp_path / "cmp"
    result = topics_cli("compare", str(a), str(b), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(out)
    saved = json.loads((out / "compare.json").read_text("utf-8"))
    assert saved["matched"] and "<script" not in (out / "compare.html").read_text("utf-8")
    assert sorted(p.name for p in out.iterdir()) == ["compare.html", "compare.json"]


def test_bad_compares_are_one_line_and_write_nothing(two_seeds, tmp_path: Path) -> None:
    a, _ = two_seeds
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", "utf-8")
    assert_one_line_error(
        topics_cli("compare", str(a), str(tmp_path), "--out", str(tmp_path / "x")),
        "not a run folder",
    )
    assert_one_line_error(topics_cli("compare", str(a), str(a), "--out", str(blocker)), "--out")
    assert blocker.read_text("utf-8") == "not a folder"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]
