"""LLM naming against a real HTTP server on loopback (``stub_llm``): answers, the cache, every
failure the issue lists, collisions, the key, and bounded concurrency."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.naming.stub_llm import SCRIPT_NAME, StubLLM, expected_name
from topics.config import NamingSection
from topics.naming.llm import clean_name, name_with_llm, node_prompt, parse_answer
from topics.naming.stage import Node

KEY = "sk-test-not-a-real-key-4711"


def nodes(first_keyword: str = "graph neural network") -> list[Node]:
    """Three topics (two with English words, one Chinese only) and one group above them."""
    keywords = [
        {"en": [first_keyword, "node"], "zh": ["图神经网络"]},
        {"en": ["dark energy", "universe"], "zh": []},
        {"en": [], "zh": ["纳米", "薄膜"]},
    ]
    topics = [
        Node(0, i, 10 + i, words, {"en": words["en"], "zh": words["zh"]}, [f"Title {i}"])
        for i, words in enumerate(keywords)
    ]
    group = Node(1, 0, 33, {"en": ["network"], "zh": []}, {"en": ["network"]}, [], [0, 1, 2])
    return [*topics, group]


def offline_table() -> pd.DataFrame:
    rows = [(0, 0), (0, 1), (0, 2), (1, 0)]
    return pd.DataFrame(
        [
            {
                "layer": layer,
                "id": node,
                "name": f"Offline {layer}.{node}",
                "name_en": f"Offline {layer}.{node}",
                "name_zh": f"离线{layer}{node}",
                "name_source": "offline",
            }  # fmt: skip
            for layer, node in rows
        ]
    )


def section(stub: StubLLM, **changes) -> NamingSection:
    values = {"method": "llm", "endpoint": stub.endpoint, "model": "stub-model",
              "api_key_env": "TOPICS_TEST_KEY", "timeout_s": 5.0} | changes  # fmt: skip
    return NamingSection(**values)


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOPICS_TEST_KEY", KEY)


def test_names_come_from_the_model_fine_layer_first(tmp_path: Path) -> None:
    with StubLLM() as stub:
        table, record, summary = name_with_llm(
            nodes(), offline_table(), section(stub), "both", tmp_path
        )
    assert summary is None
    assert record["named_by_llm"] == 4 and record["kept_offline"] == 0
    assert record["requests"] == 4 and record["from_cache"] == 0
    assert set(table["name_source"]) == {"llm"}
    fine = table[table["layer"] == 0].set_index("id")
    assert fine.loc[0, "name_en"] == "Stub graph neural network"
    assert fine.loc[0, "name_zh"] == "桩图神经网络"
    assert fine.loc[0, "name"] == "Stub graph neural network / 桩图神经网络"
    assert fine.loc[2, "name_en"] == "Stub topic"  # no English keyword: the stub's default
    # The group was asked after its children, with their names from the model.
    group_prompt = stub.requests[-1]["body"]["messages"][-1]["content"]
    subtopics = "Its subtopics: Stub graph neural network / 桩图神经网络; Stub dark energy"
    assert subtopics in group_prompt
    assert table.set_index(["layer", "id"]).loc[(1, 0), "name_en"] == "Stub network"
    # Every request: the chat endpoint, the model, temperature 0, the key as a bearer token.
    for request in stub.requests:
        assert request["path"] == "/v1/chat/completions"
        assert request["body"]["model"] == "stub-model"
        assert request["body"]["temperature"] == 0
        assert request["authorization"] == f"Bearer {KEY}"


def test_a_rerun_sends_nothing_and_a_changed_topic_asks_again(tmp_path: Path) -> None:
    with StubLLM() as stub:
        first, _, _ = name_with_llm(nodes(), offline_table(), section(stub), "both", tmp_path)
        again, record, _ = name_with_llm(nodes(), offline_table(), section(stub), "both", tmp_path)
        assert len(stub.requests) == 4
        assert record["requests"] == 0 and record["from_cache"] == 4
        pd.testing.assert_frame_equal(first, again)
        # One topic's words changed: that topic, and the group above it (its subtopics
        # changed), are asked again; the other two come from the cache.
        changed, record, _ = name_with_llm(
            nodes("message passing"), offline_table(), section(stub), "both", tmp_path
        )
        assert record["requests"] == 2 and record["from_cache"] == 2
        assert changed.set_index(["layer", "id"]).loc[(0, 0), "name_en"] == "Stub message passing"
    # The key is nowhere in the cache (nor in the record).
    cached = "".join(path.read_text("utf-8") for path in tmp_path.rglob("*.json"))
    assert cached and KEY not in cached and KEY not in json.dumps(record)


@pytest.mark.parametrize(
    ("mode", "reason"),
    [("error", "HTTP 500"), ("garbage", "malformed answers"), ("not-json", "malformed answers")],
)
def test_a_failing_endpoint_leaves_offline_names_and_one_summary_line(
    tmp_path: Path, mode: str, reason: str
) -> None:
    with StubLLM(mode) as stub:
        table, record, summary = name_with_llm(
            nodes(), offline_table(), section(stub), "both", tmp_path
        )
    pd.testing.assert_frame_equal(table, offline_table())
    assert record["named_by_llm"] == 0 and record["kept_offline"] == 4
    assert record["failures"] == {reason: 4}
    assert summary is not None and "\n" not in summary
    assert "named 0 of 4" in summary and reason in summary and KEY not in summary
    # Failures are not cached: a later run asks again.
    assert not list(tmp_path.rglob("*.json"))


def test_a_slow_endpoint_is_given_up_after_three_timeouts(tmp_path: Path) -> None:
    with StubLLM("slow") as stub:
        table, record, summary = name_with_llm(
            nodes(), offline_table(), section(stub, timeout_s=0.3, max_concurrency=1), "both",
            tmp_path,
        )  # fmt: skip
        sent = len(stub.requests)
    assert sent == 3  # the fourth node is not sent: the endpoint is taken as down
    assert record["failures"] == {"timed out": 3, "not sent: endpoint unavailable": 1}
    assert (table["name_source"] == "offline").all()
    assert "kept their offline names" in summary


def test_an_unreachable_endpoint_fails_fast(tmp_path: Path) -> None:
    with StubLLM() as stub:
        endpoint = stub.endpoint
    gone = NamingSection(method="llm", endpoint=endpoint, model="m", timeout_s=5.0)
    table, record, _ = name_with_llm(nodes(), offline_table(), gone, "en", tmp_path)
    assert record["failures"].get("unreachable", 0) >= 1
    assert (table["name_source"] == "offline").all()


def test_rate_limited_requests_are_retried_once(tmp_path: Path) -> None:
    with StubLLM("rate-limit") as stub:
        table, record, _ = name_with_llm(nodes(), offline_table(), section(stub), "both", tmp_path)
    assert record["named_by_llm"] == 4 and record["requests"] == 8
    assert (table["name_source"] == "llm").all()


def test_names_that_collide_are_asked_again_together(tmp_path: Path) -> None:
    with StubLLM("same") as stub:
        table, record, _ = name_with_llm(nodes(), offline_table(), section(stub), "both", tmp_path)
        prompts = [r["body"]["messages"][-1]["content"] for r in stub.requests]
    fine = table[table["layer"] == 0].set_index("id")
    assert list(fine["name_en"]) == ["Distinct 0", "Distinct 1", "Distinct 2"]
    # One joint request for the three fine topics, none more for the group (alone in layer 1).
    assert sum("same name" in prompt for prompt in prompts) == 1
    assert record["requests"] == 5


def test_a_markup_name_is_kept_as_text_for_escaping(tmp_path: Path) -> None:
    with StubLLM("script") as stub:
        table, _, _ = name_with_llm(nodes(), offline_table(), section(stub), "en", tmp_path)
    # Every node answered the same markup: the largest of each layer keeps it (the joint
    # re-ask answered markup again), the others keep their offline names.
    by_node = table.set_index(["layer", "id"])["name_en"]
    assert by_node[(0, 2)] == SCRIPT_NAME and by_node[(1, 0)] == SCRIPT_NAME
    assert by_node[(0, 0)] == "Offline 0.0" and by_node[(0, 1)] == "Offline 0.1"
    assert (table["name_zh"].str.startswith("离线")).all()  # only English was asked for


def test_concurrency_is_bounded(tmp_path: Path) -> None:
    many = [Node(0, i, 5, {"en": [f"word{i}"]}, {"en": [f"word{i}"]}) for i in range(8)]
    table = pd.DataFrame(
        [
            {
                "layer": 0,
                "id": i,
                "name": "x",
                "name_en": "x",
                "name_zh": "",
                "name_source": "offline",
            }
            for i in range(8)
        ]  # fmt: skip
    )
    with StubLLM(delay_s=0.2) as stub:
        name_with_llm(many, table, section(stub, max_concurrency=2), "en", tmp_path)
    assert stub.most_in_flight == 2


def test_answers_are_cleaned_and_checked_per_language() -> None:
    assert clean_name('  "Graph\nneural\tnetworks."  ', "en") == "Graph neural networks"
    assert clean_name("图神经网络", "en") == ""  # Chinese in an English name
    assert clean_name("graph networks", "zh") == ""  # no Chinese in a Chinese name
    assert clean_name("one two three four five six seven eight nine", "en") == ""
    assert clean_name(42, "en") == ""
    assert parse_answer('Sure! {"en": "Dark energy", "zh": "暗能量"} hope it helps', ["en", "zh"])
    assert parse_answer('{"en": "Dark energy"}', ["en", "zh"]) is None  # zh asked, missing
    assert parse_answer("no json here", ["en"]) is None


def test_a_prompt_stays_small() -> None:
    long_titles = ["word " * 400] * 20
    node = Node(0, 0, 10, {"en": ["a"] * 3}, {"en": [f"p{i}" for i in range(50)]}, long_titles)
    prompt = node_prompt(node, [], ["en", "zh"])
    assert len(prompt) < 1_600  # five titles of at most 200 characters, twelve phrases
    assert expected_name(prompt)["en"] == "Stub a"
