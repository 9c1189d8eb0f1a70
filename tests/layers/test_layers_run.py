"""Layers through a whole run: the contract of documents.parquet, manifest.json, layers.csv."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.conftest import ROOT, held_out_pairs, make_config, pair_documents, write_documents
from topics.pipeline import run_pipeline


@pytest.fixture(scope="module")
def layered_run(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201 (RunResult)
    tmp = tmp_path_factory.mktemp("layers")
    write_documents(tmp / "pairs.jsonl", pair_documents(held_out_pairs()))
    config = make_config(
        tmp,
        f"corpus.paths=[{json.dumps(str(tmp / 'pairs.jsonl'))}]",
        "output.save_model=false",
        config=ROOT / "configs" / "fast.yaml",
    )
    return run_pipeline(config)


def test_layer_columns_manifest_and_layers_csv_agree(layered_run) -> None:
    run_dir = layered_run.run_dir
    manifest = json.loads((run_dir / "manifest.json").read_text("utf-8"))
    documents = pd.read_parquet(run_dir / "documents.parquet")
    table = pd.read_csv(run_dir / "layers.csv", keep_default_na=False, na_values=[""])
    layers = manifest["layers"]
    assert layers[0] == "topic" and len(layers) >= 2 and manifest["overview"] == layers[-1]
    assert layers[1:] == [f"topic_l{i}" for i in range(1, len(layers))]
    overview_groups = set(documents[manifest["overview"]]) - {-1}
    assert 5 <= len(overview_groups) <= 30
    assert len(overview_groups) < len(set(documents["topic"]) - {-1})
    for level, column in enumerate(layers):
        nodes = table[table["layer"] == level]
        counts = documents.loc[documents[column] != -1, column].value_counts()
        assert dict(zip(nodes["id"], nodes["size"], strict=True)) == counts.to_dict()
        if level + 1 < len(layers):
            # Each node's parent is the coarser group of every one of its documents.
            parent = dict(zip(nodes["id"], nodes["parent"].astype(int), strict=True))
            members = documents[documents[column] != -1]
            assert (members[column].map(parent) == members[layers[level + 1]]).all()
        else:
            assert nodes["parent"].isna().all()
        assert (nodes["label"].str.len() > 0).all()


def test_dashboard_shows_the_layers_as_a_sunburst(layered_run) -> None:
    from tests.report.test_report_build import data_blocks

    run_dir = layered_run.run_dir
    table = pd.read_csv(run_dir / "layers.csv", keep_default_na=False, na_values=[""])
    blocks = data_blocks((run_dir / "index.html").read_text("utf-8"))
    sunburst = json.loads(blocks["fig-layers"])["data"][0]
    assert sunburst["type"] == "sunburst" and len(sunburst["ids"]) == len(table)
    value_of = dict(zip(sunburst["ids"], sunburst["values"], strict=True))
    parent_of = dict(zip(sunburst["ids"], sunburst["parents"], strict=True))
    # Every ring adds up: a group holds exactly the documents of its children.
    for node, parent in parent_of.items():
        if parent:
            assert value_of[parent] >= value_of[node]
    for parent in set(parent_of.values()) - {""}:
        children = [n for n, p in parent_of.items() if p == parent]
        assert sum(value_of[c] for c in children) == value_of[parent]


def test_breakdowns_switch_between_layers_with_right_counts(layered_run) -> None:
    """Issue 10: the language breakdown by fine topics and by every coarser layer."""
    from tests.report.test_report_build import data_blocks

    run_dir = layered_run.run_dir
    manifest = json.loads((run_dir / "manifest.json").read_text("utf-8"))
    documents = pd.read_parquet(run_dir / "documents.parquet")
    spec = json.loads(data_blocks((run_dir / "index.html").read_text("utf-8"))["fig-languages"])
    buttons = spec["layout"]["updatemenus"][0]["buttons"]
    assert len(buttons) == len(manifest["layers"])
    assert buttons[0]["label"] == "fine topics" and buttons[-1]["label"].startswith("overview")
    for index, (button, column) in enumerate(zip(buttons, manifest["layers"], strict=True)):
        shown = [t for t, visible in zip(spec["data"], button["args"][0]["visible"], strict=True)
                 if visible]  # fmt: skip
        assert shown and all(t["meta"]["view"] == index for t in shown)
        # The page opens on the fine topics.
        assert all((t.get("visible", True) is True) == (index == 0) for t in shown)
        # Bar lengths per group and language are the documents' own counts.
        expected = documents.groupby([column, "lang"]).size().to_dict()
        language_code = {"Chinese": "zh", "English": "en", "Other": "other"}
        found = {}
        for trace in shown:
            for name, count in zip(trace["y"], trace["x"], strict=True):
                group = -1 if name == "Outliers" else int(name.split(" · ")[0])
                if count:
                    found[(group, language_code[trace["name"]])] = count
        assert found == expected, column


def test_every_layer_label_is_distinctive(layered_run) -> None:
    """Issue 10: <= 10% generic label units on every layer, recomputed here from the run."""
    import numpy as np
    from scipy import sparse

    from topics.represent.labels import WordFrequencies, generic_share
    from topics.represent.phrases import phrase_matrix
    from topics.represent.tokens import build_vocabulary, make_vectorizer, tokenize_corpus

    run_dir = layered_run.run_dir
    manifest = json.loads((run_dir / "manifest.json").read_text("utf-8"))
    documents = pd.read_parquet(run_dir / "documents.parquet")
    table = pd.read_csv(run_dir / "layers.csv", keep_default_na=False, na_values=[""])
    texts = layered_run.corpus.texts  # reading order, as documents.parquet
    joined = tokenize_corpus(texts)
    config = make_config(run_dir, config=ROOT / "configs" / "fast.yaml")
    vocabulary = build_vocabulary(joined, config.topics)
    presence, phrases = phrase_matrix(texts, joined, 2)
    counts = sparse.hstack([make_vectorizer(vocabulary).transform(joined), presence], "csr")
    shares = manifest["layer_generic_label_share"]
    assert list(shares) == manifest["layers"]
    for level, column in enumerate(manifest["layers"]):
        frequencies = WordFrequencies(
            counts, vocabulary + phrases, np.asarray(documents[column], dtype=np.int64)
        )
        nodes = table[table["layer"] == level]
        units = [
            (int(group), [u for part in label.split(" / ") for u in part.split(" · ") if u])
            for group, label in zip(nodes["id"], nodes["label"], strict=True)
        ]
        share = generic_share(units, frequencies)
        assert share == pytest.approx(shares[column], abs=1e-4), column
        assert share <= 0.10, column
