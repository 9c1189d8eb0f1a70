"""Shared fixtures: real translation pairs and one static table per test session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from topics.embed.static import StaticEmbedder

DATA = Path(__file__).resolve().parents[1] / "data" / "embed"


@pytest.fixture(scope="session")
def pairs() -> list[dict[str, str]]:
    """12 ChinaXiv abstracts, each with its authors' English version."""
    lines = (DATA / "chinaxiv_pairs_12.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


@pytest.fixture(scope="session")
def static_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("topics-cache")


@pytest.fixture(scope="session")
def static_embedder(static_cache: Path) -> StaticEmbedder:
    """A static embedder whose table has been built (≈20 s, once per session) and saved."""
    embedder = StaticEmbedder(static_cache)
    embedder.pooling_table()
    return embedder
