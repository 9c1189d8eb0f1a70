"""The Python API: ``TopicModel(...).fit(documents) -> Run``, ``Run.assign``, ``Run.load``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import ROOT, held_out_pairs
from topics import InputError, Run, TopicModel
from topics.pipeline import run_pipeline

# Real runs in subprocesses or on real corpora: the whole suite has them, `-m "not slow"` not.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def abstracts() -> list[str]:
    pairs = held_out_pairs()
    return (
        [p["zh"] for p in pairs[:80]]
        + [p["en"] for p in pairs[:80]]
        + [p["en"] for p in pairs[80:100]]
    )


def model(tmp: Path) -> TopicModel:
    return TopicModel.from_config(
        ROOT / "configs" / "fast.yaml",
        [f"output.dir={tmp / 'reports'}", f"cache.dir={tmp / 'cache'}", "output.report=false"],
    )


def test_constructing_computes_nothing(tmp_path: Path) -> None:
    model(tmp_path)
    assert not (tmp_path / "reports").exists() and not (tmp_path / "cache").exists()


def test_fit_on_strings_equals_the_run_on_the_same_file(abstracts, tmp_path: Path) -> None:
    run = model(tmp_path / "api").fit(abstracts[:160])
    documents = run.documents
    assert len(documents) == 160 and documents["id"].str.match(r"^doc-[0-9a-f]{12}$").all()
    assert documents["topic"].value_counts().to_dict() == dict(
        zip(run.topics["topic"], run.topics["size"], strict=True)
    )
    # The same documents as a file through run_pipeline: the same topics, text by text.
    path = tmp_path / "docs.jsonl"
    path.write_text(
        "".join(json.dumps({"abstract": t}, ensure_ascii=False) + "\n" for t in abstracts[:160])
    )
    config = model(tmp_path / "file").config
    config = config.model_copy(
        update={"corpus": config.corpus.model_copy(update={"paths": [str(path)]})}
    )
    from_file = pd.read_parquet(run_pipeline(config).run_dir / "documents.parquet")
    assert dict(zip(from_file["text"], from_file["topic"], strict=True)) == dict(
        zip(documents["text"], documents["topic"], strict=True)
    )

    # Assign new strings and a DataFrame; strings already in the run are skipped.
    added = run.assign(abstracts[160:170] + abstracts[:5])
    assert len(added) == 10 and set(added["assigned_by"]) == {"assign"}
    frame = pd.DataFrame({"id": [f"new-{i}" for i in range(10)], "abstract": abstracts[170:180]})
    added = run.assign(frame)
    assert added["id"].tolist() == frame["id"].tolist()
    assert Run.load(run.run_dir).manifest["counts"]["documents"] == 180
    assert [entry["skipped"] for entry in run.manifest["assignments"]] == [5, 0]


def test_load_refuses_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a run folder"):
        Run.load(tmp_path)
    with pytest.raises(InputError, match=r"documents\[1\]"):
        model(tmp_path).fit(["A fine abstract about graphs and networks.", 42])
