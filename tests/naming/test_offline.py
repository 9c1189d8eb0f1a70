"""Offline names: the ranking with a real bundled embedder, one head word per layer, joined
names, fragments, and the names of a real run on the shipped sample."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from topics.config import EmbeddingSection
from topics.embed.base import l2_normalize, make_embedder
from topics.naming.offline import (
    MAX_NAME_WORDS,
    choose_names,
    head_word,
    odd_segments,
    shared_heads,
)
from topics.text.han import HAN
from topics.text.tokenizer import MixedTokenizer

SEGMENT = MixedTokenizer()


@pytest.fixture(scope="module")
def embed():
    embedder = make_embedder(EmbeddingSection(backend="distilled"))
    return lambda texts: l2_normalize(embedder.embed(texts, [str(i) for i in range(len(texts))]))


def centroids(embed, texts: dict[int, str]) -> dict[int, np.ndarray]:
    return {group: embed([text])[0] for group, text in texts.items()}


def test_each_group_gets_the_candidate_that_says_what_it_is_about(embed) -> None:
    means = centroids(
        embed,
        {0: "galaxies, stars and the expansion of the universe", 1: "heart disease and the heart"},
    )
    candidates = {0: ["heart failure", "galaxy clusters"], 1: ["galaxy clusters", "heart failure"]}
    names = choose_names(candidates, means, embed, "en", SEGMENT)
    assert names[0].name.startswith("Galaxy clusters")
    assert names[1].name.startswith("Heart failure")
    assert names[0].score > 0 and names[1].score > 0


def test_no_two_names_of_a_layer_share_a_head_word(embed) -> None:
    means = centroids(embed, {0: "breast cancer in women", 1: "lung cancer in smokers"})
    candidates = {0: ["breast cancer", "mammography"], 1: ["lung cancer", "smoking"]}
    names = choose_names(candidates, means, embed, "en", SEGMENT)
    heads = [choice.heads for choice in names.values()]
    assert not heads[0] & heads[1]
    assert sum("cancer" in choice.name.lower() for choice in names.values()) == 1


def test_a_group_without_another_candidate_keeps_its_best_even_if_its_head_is_taken(
    embed,
) -> None:
    means = centroids(embed, {0: "breast cancer", 1: "lung cancer"})
    names = choose_names({0: ["breast cancer"], 1: ["lung cancer"]}, means, embed, "en", SEGMENT)
    assert {names[0].name, names[1].name} == {"Breast cancer", "Lung cancer"}


def test_joined_names_stay_short_and_never_pair_a_term_with_its_acronym(embed) -> None:
    means = centroids(
        embed, {0: "magnetic resonance imaging MRI scans of the brain", 1: "stock markets"}
    )
    candidates = {0: ["magnetic resonance imaging", "MRI", "brain lesions", "white matter"],
                  1: ["stock returns"]}  # fmt: skip
    name = choose_names(candidates, means, embed, "en", SEGMENT)[0].name
    assert len(name.split()) <= MAX_NAME_WORDS
    assert not ("MRI" in name and "magnetic resonance imaging" in name.lower())


def test_chinese_names_are_joined_with_yu_and_keep_han_only(embed) -> None:
    means = centroids(embed, {0: "纳米薄膜的制备与表征", 1: "企业市场竞争"})
    candidates = {0: ["纳米薄膜", "制备工艺"], 1: ["市场竞争"]}
    names = choose_names(candidates, means, embed, "zh", SEGMENT)
    assert names[0].name in {"纳米薄膜", "制备工艺", "纳米薄膜与制备工艺", "制备工艺与纳米薄膜"}
    assert names[1].name == "市场竞争"


def test_head_words_and_shared_heads() -> None:
    assert head_word("graph neural networks", SEGMENT) == "network"
    assert head_word("Antibodies", SEGMENT) == "antibody"
    assert head_word("图神经网络", SEGMENT) == SEGMENT("图神经网络")[-1]
    assert shared_heads(["Breast cancer", "Lung cancer", "Asthma"], SEGMENT) == ["cancer"]


def test_odd_chinese_segments_are_found() -> None:
    odd = odd_segments(SEGMENT, {"数据", "数据集", "训练"}.__contains__, {"是", "的"})
    assert odd("数据集是")  # 数据 + 集是: a guessed segment ending in 是
    assert not odd("数据训练")


def _words(name: str) -> int:
    return len(name.split()) if not HAN.search(name) else 1


def test_a_sample_run_names_every_topic_and_group_from_its_own_words(sample_run) -> None:
    run = sample_run.run_dir
    topics = pd.read_csv(run / "topics.csv", keep_default_na=False)
    layers = pd.read_csv(run / "layers.csv", keep_default_na=False)
    fine = topics[topics["topic"] != -1]
    assert list(topics.columns[:6]) == ["topic", "size", "label", "name", "name_en", "name_zh"]
    assert (fine["name"] != "").all()
    documents = pd.read_parquet(run / "documents.parquet", columns=["topic", "text"])
    for row in fine.itertuples():
        assert not HAN.search(row.name_en) and not re.search("[A-Za-z]", row.name_zh)
        assert _words(row.name_en) <= MAX_NAME_WORDS
        # Each part of a name is the topic's own words: found in its documents' text.
        text = " ".join(documents.loc[documents["topic"] == row.topic, "text"]).lower()
        parts = re.split(r" and |, ", row.name_en.lower()) + re.split("与|、", row.name_zh)
        for part in parts:
            assert not part or part in text, (row.topic, part)
        # The shown name is made of the per-language names, like the label of its labels.
        expected = " / ".join(n for n in (row.name_en, row.name_zh) if n)
        assert row.name == expected
    # layers.csv holds the same names for the fine topics and names every group.
    fine_layer = layers[layers["layer"] == 0].set_index("id")
    for row in fine.itertuples():
        assert fine_layer.loc[row.topic, "name"] == row.name
    assert (layers["name"] != "").all()
    manifest = sample_run.manifest["naming"]
    assert manifest == {"method": "offline", "named": len(layers)}


@pytest.fixture(scope="module")
def layered_run(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201 (RunResult)
    """A `fast` run with coarser layers: both sides of the 200 held-out ChinaXiv pairs."""
    from tests.conftest import ROOT, held_out_pairs, make_config, pair_documents, write_documents
    from topics.pipeline import run_pipeline

    tmp = tmp_path_factory.mktemp("layered-names")
    corpus = write_documents(tmp / "pairs.jsonl", pair_documents(held_out_pairs()))
    config = make_config(
        tmp,
        f'corpus.paths=["{corpus.as_posix()}"]',
        "output.save_model=false",
        config=ROOT / "configs" / "fast.yaml",
    )
    return run_pipeline(config)


def test_every_layer_is_named_in_both_languages_from_its_own_documents(layered_run) -> None:
    from topics.naming.offline import head_word

    run = layered_run.run_dir
    layers = pd.read_csv(run / "layers.csv", keep_default_na=False)
    assert layers["layer"].max() >= 1, "the corpus needs coarser layers for this test"
    documents = pd.read_parquet(run / "documents.parquet")
    columns = layered_run.manifest["layers"]  # fine → coarse
    for level, column in enumerate(columns):
        nodes = layers[layers["layer"] == level]
        for row in nodes.itertuples():
            members = documents[documents[column] == row.id]
            # A mixed corpus (each side a translation): both names, the page name joins them.
            assert row.name_en and row.name_zh, (level, row.id)
            assert row.name == f"{row.name_en} / {row.name_zh}"
            english = " ".join(members.loc[members["lang"] == "en", "text"]).lower()
            chinese = " ".join(members.loc[members["lang"] == "zh", "text"])
            for part in re.split(r" and |, ", row.name_en.lower()):
                assert part in english, (level, row.id, part)
            for part in re.split("与|、", row.name_zh):
                assert part in chinese, (level, row.id, part)
        # No two names of a layer are the same, in either language.
        for lang in ("en", "zh"):
            assert nodes[f"name_{lang}"].str.casefold().is_unique, (level, lang)
        heads = [head_word(n, SEGMENT) for n in nodes["name_en"]]
        assert len(set(heads)) >= len(heads) - 1, (level, heads)
