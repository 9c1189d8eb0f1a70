"""The token cache key follows what decides the tokens, not a hand-bumped version string."""

from __future__ import annotations

import shutil
from importlib import metadata
from pathlib import Path

import pytest

from topics.represent.tokens import token_cache_key, tokenize_corpus
from topics.text import tokenizer
from topics.text.tokenizer import MixedTokenizer

HASHES = ["a" * 32, "b" * 32]


@pytest.fixture
def text_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of ``topics/text`` (code and stopword lists) that the key is computed from."""
    copy = tmp_path / "text"
    shutil.copytree(tokenizer.TEXT_PACKAGE, copy)
    monkeypatch.setattr(tokenizer, "TEXT_PACKAGE", copy)
    return copy


def test_key_depends_on_content_not_location(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = token_cache_key(HASHES)
    copy = tmp_path / "text"
    shutil.copytree(tokenizer.TEXT_PACKAGE, copy)
    monkeypatch.setattr(tokenizer, "TEXT_PACKAGE", copy)
    assert token_cache_key(HASHES) == shipped


def test_editing_a_stopword_list_changes_the_key(text_package: Path) -> None:
    before = token_cache_key(HASHES)
    stop_file = text_package / "stopwords" / "en.txt"
    content = stop_file.read_bytes()
    stop_file.write_bytes(content + b"\nnewstopword\n")
    edited = token_cache_key(HASHES)
    assert edited != before
    stop_file.write_bytes(content)
    assert token_cache_key(HASHES) == before  # the key is the content, not the file's date


def test_editing_the_character_table_changes_the_key(text_package: Path) -> None:
    before = token_cache_key(HASHES)
    table = text_package / "stopwords" / "s2t.txt"
    table.write_text(table.read_text("utf-8") + "\n", "utf-8")
    assert token_cache_key(HASHES) != before


def test_editing_the_tokenizer_code_changes_the_key(text_package: Path) -> None:
    before = token_cache_key(HASHES)
    code = text_package / "tokenizer.py"
    code.write_text(code.read_text("utf-8") + "\n# a rule changed\n", "utf-8")
    assert token_cache_key(HASHES) != before


def test_key_names_jieba_version_settings_and_texts() -> None:
    fingerprint = MixedTokenizer(["模型"]).fingerprint()
    assert f"jieba-{metadata.version('jieba')}" in fingerprint
    assert token_cache_key(HASHES, ["模型"]) != token_cache_key(HASHES)
    assert token_cache_key(HASHES) != token_cache_key(HASHES[:1])


def test_edited_stopwords_are_not_served_from_the_cache(text_package: Path, tmp_path: Path) -> None:
    texts = ["图神经网络用于蛋白质结构预测", "Self-supervised graph networks for GPT-3.5"]
    cache = tmp_path / "cache"

    def stored() -> int:
        return sum(1 for p in (cache / "tokens").iterdir() if p.name.endswith(".json.gz"))

    joined = tokenize_corpus(texts, (), cache)
    assert joined == ["神经网络 蛋白质 结构 预测", "self-supervised graph networks GPT-3.5"]
    assert stored() == 1
    assert tokenize_corpus(texts, (), cache) == joined
    assert stored() == 1  # same inputs: reused
    stop_file = text_package / "stopwords" / "en.txt"
    stop_file.write_text(stop_file.read_text("utf-8") + "\ngraph\n", "utf-8")
    tokenize_corpus(texts, (), cache)
    assert stored() == 2  # the old entry is not served for the edited list
