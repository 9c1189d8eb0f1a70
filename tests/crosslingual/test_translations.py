"""Translation duplicates and combined embeddings inside real pipeline runs."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import DATA, make_config
from topics.errors import ConfigError
from topics.pipeline import run_pipeline


@pytest.fixture(scope="module")
def bilingual_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both sides of 40 real ChinaXiv zh/en abstract pairs, as one JSONL corpus."""
    source = DATA / "crosslingual" / "chinaxiv_pairs_40.jsonl.gz"
    with gzip.open(source, "rt", encoding="utf-8") as stream:
        rows = [json.loads(line) for line in stream]
    path = tmp_path_factory.mktemp("bilingual") / "pairs.jsonl"
    with path.open("w", encoding="utf-8") as stream:
        for row in rows:
            for lang in ("zh", "en"):
                record = {"id": f"{row['id']}#{lang}", "abstract": row[lang]}
                stream.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def test_translation_duplicates_recorded_then_dropped(
    bilingual_corpus: Path, session_dir: Path
) -> None:
    paths = f'corpus.paths=["{bilingual_corpus}"]'
    kept = run_pipeline(make_config(session_dir, paths, "run.name=pairs", "output.report=false"))
    documents = pd.read_parquet(kept.run_dir / "documents.parquet")
    assert len(documents) == 80
    flagged = documents[documents["duplicate_of"].notna()]
    assert kept.manifest["counts"]["translation_duplicates"] == len(flagged) >= 20
    # A flagged document points at the other side of its own pair, which came earlier.
    topic_of = dict(zip(documents["id"], documents["topic"], strict=True))
    for row in flagged.itertuples():
        assert row.duplicate_of.split("#")[0] == row.id.split("#")[0]
        assert row.duplicate_of != row.id
        assert row.topic == topic_of[row.duplicate_of], "a detected pair shares its topic"

    dropped = run_pipeline(
        make_config(
            session_dir,
            paths,
            "run.name=pairs-dedup",
            "corpus.dedup=translations",
            "output.report=false",
        )
    )
    assert dropped.manifest["cache"]["embeddings"] == "hit"
    remaining = pd.read_parquet(dropped.run_dir / "documents.parquet")
    assert len(remaining) == 80 - len(flagged)
    assert not set(flagged["id"]) & set(remaining["id"])
    assert dropped.manifest["counts"]["translation_duplicates"] == len(flagged)


def test_translation_dedup_needs_use_vectors(bilingual_corpus: Path, tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        f'corpus.paths=["{bilingual_corpus}"]',
        "embedding.backend=tfidf",
        "corpus.dedup=translations",
    )
    with pytest.raises(ConfigError, match="corpus.dedup"):
        run_pipeline(config)


def test_combined_reuses_cached_use_block(sample_run, session_dir: Path) -> None:
    shards = session_dir / "cache" / "embeddings"
    before = set(shards.rglob("shard-*.npz"))
    result = run_pipeline(
        make_config(
            session_dir, "run.name=combined", "output.report=false", "embedding.backend=combined"
        )
    )
    added = set(shards.rglob("shard-*.npz")) - before
    assert len(added) == 1, "only the corpus-fitted tfidf block may be computed; USE is cached"
    assert result.manifest["counts"]["documents"] == 54
