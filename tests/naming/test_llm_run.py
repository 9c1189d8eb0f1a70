"""``topics.naming.method: llm`` end to end: a real run of the sample against the loopback stub
(names in every file and on the page, nothing asked again on a re-run, the key nowhere, a
markup name escaped, a dead endpoint leaving offline names)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from tests.conftest import make_config
from tests.naming.stub_llm import SCRIPT_NAME, StubLLM
from topics.pipeline import run_pipeline

KEY = "sk-run-secret-0451"


def llm_config(tmp: Path, stub: StubLLM, *more: str):
    return make_config(
        tmp,
        "topics.naming.method=llm",
        f"topics.naming.endpoint={stub.endpoint}",
        "topics.naming.model=stub-model",
        "topics.naming.api_key_env=TOPICS_RUN_KEY",
        *more,
    )


def every_file_text(*folders: Path) -> str:
    return "".join(
        path.read_bytes().decode("utf-8", "replace")
        for folder in folders
        for path in folder.rglob("*")
        if path.is_file()
    )


def test_llm_names_reach_every_file_and_a_rerun_asks_nothing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TOPICS_RUN_KEY", KEY)
    with StubLLM() as stub:
        first = run_pipeline(llm_config(tmp_path, stub))
        sent = len(stub.requests)
        layers = pd.read_csv(first.run_dir / "layers.csv", keep_default_na=False)
        prompts = [r["body"]["messages"][-1]["content"] for r in stub.requests]
        joint = sum("same name" in prompt for prompt in prompts)
        # One request per topic and layer node, plus one per set of colliding names (topics
        # without English keywords all get the stub's "Stub topic").
        assert sent - joint == len(layers) and joint <= len(layers) // 2
        record = first.manifest["naming"]
        assert record["requests"] == sent and record["named_by_llm"] == len(layers)
        assert record["kept_offline"] == 0 and record["endpoint"] == stub.endpoint
        topics = pd.read_csv(first.run_dir / "topics.csv", keep_default_na=False)
        fine = topics[topics["topic"] != -1]
        assert fine["name_en"].str.match(r"(Stub|Distinct) ").all()
        assert fine["name_zh"].str.match("桩|不同").all()
        assert fine["name_en"].is_unique
        # The English name came from the topic's own first English keyword (the stub echoes it).
        for row in fine.itertuples():
            if row.label_en and not row.name_en.startswith("Distinct"):
                assert row.name_en == f"Stub {row.label_en.split(' · ')[0]}"
        page = (first.run_dir / "index.html").read_text("utf-8")
        assert fine["name_en"].iloc[0] in page

        again = run_pipeline(llm_config(tmp_path, stub))
        assert len(stub.requests) == sent  # nothing sent again
        assert again.manifest["naming"]["requests"] == 0
        assert again.manifest["naming"]["from_cache"] == sent
        pd.testing.assert_frame_equal(
            pd.read_csv(again.run_dir / "topics.csv", keep_default_na=False), topics
        )
    assert all(request["authorization"] == f"Bearer {KEY}" for request in stub.requests)
    assert KEY not in every_file_text(first.run_dir, tmp_path / "cache")


def test_a_markup_name_is_escaped_on_the_page(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TOPICS_RUN_KEY", KEY)
    with StubLLM("script") as stub:
        result = run_pipeline(llm_config(tmp_path, stub, "topics.naming.languages=en"))
    topics = pd.read_csv(result.run_dir / "topics.csv", keep_default_na=False)
    assert SCRIPT_NAME in set(topics["name_en"])
    page = (result.run_dir / "index.html").read_text("utf-8")
    assert SCRIPT_NAME not in page and "<script>window" not in page
    assert "\\u003cscript\\u003ewindow.__pwned" in page  # in the page's JSON, escaped


def test_a_dead_endpoint_leaves_offline_names_and_one_line(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TOPICS_RUN_KEY", KEY)
    with StubLLM() as stub:
        config = llm_config(
            tmp_path, stub, "topics.naming.timeout_s=2", "topics.naming.max_concurrency=1"
        )
    result = run_pipeline(config)  # the stub is shut down: nothing listens
    record = result.manifest["naming"]
    assert record["named_by_llm"] == 0 and record["requests"] == 3  # then it stops asking
    assert record["failures"]["unreachable"] == 3
    assert [note for note in result.notes if note.startswith("naming:")] == [
        next(note for note in result.notes if note.startswith("naming:"))
    ]
    topics = pd.read_csv(result.run_dir / "topics.csv", keep_default_na=False)
    assert (topics.loc[topics["topic"] != -1, "name"] != "").all()  # offline names
    assert json.dumps(record).find(KEY) < 0
