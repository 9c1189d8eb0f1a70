"""The lexical block (``embedding.lexical``): chosen by language mix, stored, reused by assign."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tests.conftest import ROOT, held_out_pairs, make_config, write_documents
from topics.assign.feed import assign_documents
from topics.common import MINORITY_SHARE
from topics.config import EmbeddingSection
from topics.embed.base import make_embedder
from topics.embed.lexical import choose_lexical
from topics.embed.tfidf import LexicalModel, fit_lexical
from topics.errors import ConfigError
from topics.pipeline import run_pipeline


def _choice(langs: list[str], **settings: str):  # noqa: ANN202 (LexicalChoice)
    section = EmbeddingSection(**({"backend": "distilled"} | settings))
    return choose_lexical(section, make_embedder(section, None), langs)


def test_auto_adds_the_block_to_one_language_corpora_only() -> None:
    share = int(round((1 - MINORITY_SHARE) * 100))
    assert _choice(["en"] * share + ["zh"] * (100 - share)).used
    assert _choice(["zh"] * 100).used
    mixed = _choice(["en"] * (share - 1) + ["zh"] * (101 - share))
    assert not mixed.used and mixed.reason == "mixed languages: en 89%, zh 11%"
    assert not _choice(["en"] * 100, lexical="off").used
    assert _choice(["en"] * 50 + ["zh"] * 50, lexical="on").used
    # A corpus-fitted backend has no room for a block: auto skips it, on is refused.
    assert not _choice(["en"] * 100, backend="tfidf").used
    with pytest.raises(ConfigError, match="'embedding.lexical' parameter 'on'"):
        _choice(["en"] * 100, backend="tfidf", lexical="on")


def test_the_stored_model_embeds_its_own_texts_as_the_fit_did() -> None:
    texts = [pair["en"] for pair in held_out_pairs()[:80]]
    vectors, model = fit_lexical(texts, 20)
    assert vectors.shape == (80, 20)
    restored = LexicalModel.from_arrays(model.arrays())
    assert restored.digest() == model.digest()
    np.testing.assert_allclose(restored.transform(texts), vectors, atol=1e-5)
    # Too few documents for an SVD: the block is the TF-IDF weights, and still reproduced.
    small_vectors, small = fit_lexical(texts[:2], 20)
    assert small.components is None and small_vectors.shape[1] == small.vocabulary.size
    np.testing.assert_allclose(small.transform(texts[:2]), small_vectors, atol=1e-6)


def test_a_core_fitted_block_transforms_the_rest_in_partitions() -> None:
    """Above cluster.fit_sample the block is fitted on the core: the rest gets its transform."""
    from topics.config import EngineSection
    from topics.embed.lexical import fit_block
    from topics.engine import LocalEngine

    texts = [pair["en"] for pair in held_out_pairs()]
    core = np.arange(0, 200, 4)
    engine = LocalEngine(EngineSection(partition_size=100))
    vectors, model = fit_block(texts, 20, core, engine)
    fitted, same = fit_lexical([texts[i] for i in core], 20)
    assert model.digest() == same.digest()
    np.testing.assert_array_equal(vectors[core], fitted)
    rest = np.setdiff1d(np.arange(200), core)  # 150 rows: two partitions of up to 100
    np.testing.assert_allclose(vectors[rest], model.transform([texts[i] for i in rest]), atol=1e-6)
    assert np.isfinite(vectors).all() and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)


@pytest.fixture(scope="module")
def english_run(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201 (RunResult, Path)
    """A `fast` run on the English side of the 200 held-out pairs: one language."""
    tmp = tmp_path_factory.mktemp("lexical")
    records = [{"id": f"{p['id']}#en", "abstract": p["en"]} for p in held_out_pairs()]
    corpus = write_documents(tmp / "english.jsonl", records)
    config = make_config(
        tmp,
        f"corpus.paths=[{json.dumps(str(corpus))}]",
        "output.report=false",
        config=ROOT / "configs" / "fast.yaml",
    )
    return run_pipeline(config), tmp


def test_a_one_language_run_stores_its_block_and_assign_reuses_it(english_run) -> None:
    run, tmp = english_run
    assert run.manifest["lexical"] == {"used": True, "reason": "one language: en 100%"}
    folder = run.run_dir / "assign"
    vectors = np.load(folder / "vectors.npy")
    vocabulary = np.load(folder / "lexical-vocabulary.npy")
    components = np.load(folder / "lexical-components.npy")
    assert vectors.shape[1] == 256 + components.shape[0] and components.shape[1] == len(vocabulary)
    assert "lexical:" in json.loads((folder / "assigner.json").read_text())["fingerprint"]
    # Copies of fitted documents under new ids land in their own topic: the stored block puts
    # them where the fit put the originals (a wrong block would scatter or mark them novel).
    documents = pd.read_parquet(run.run_dir / "documents.parquet")
    picked = documents[documents["topic"] != -1].head(40)
    copies = [
        {"id": f"copy-{i}", "abstract": text}
        for i, text in zip(picked["id"], picked["text"], strict=True)
    ]
    result = assign_documents(run.run_dir, [str(write_documents(tmp / "copies.jsonl", copies))])
    assert result.added == 40 and result.novel == 0
    after = pd.read_parquet(run.run_dir / "documents.parquet").set_index("id")
    kept = [
        after.loc[f"copy-{i}", "topic"] == topic
        for i, topic in zip(picked["id"], picked["topic"], strict=True)
    ]
    assert np.mean(kept) >= 0.95


def test_lexical_off_runs_on_the_embedder_alone(english_run) -> None:
    _, tmp = english_run
    records = [{"id": f"{p['id']}#en", "abstract": p["en"]} for p in held_out_pairs()]
    config = make_config(
        tmp,
        f"corpus.paths=[{json.dumps(str(write_documents(tmp / 'again.jsonl', records)))}]",
        "output.report=false",
        "run.name=plain",
        "embedding.lexical=off",
        config=ROOT / "configs" / "fast.yaml",
    )
    plain = run_pipeline(config)
    assert plain.manifest["lexical"] == {"used": False, "reason": "embedding.lexical: off"}
    assert np.load(plain.run_dir / "assign" / "vectors.npy").shape[1] == 256
    assert not (plain.run_dir / "assign" / "lexical-vocabulary.npy").exists()
