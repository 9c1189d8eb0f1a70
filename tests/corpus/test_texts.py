"""Texts on disk (:mod:`topics.corpus.texts`): the same corpus as in memory, read on demand."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from topics.config import CorpusSection
from topics.corpus import load_corpus
from topics.corpus.texts import DiskTexts, TextFile, take_texts
from topics.hashing import text_hash

SEEDS = Path(__file__).parents[1] / "data" / "corpus" / "seeds"
HOSTILE = Path(__file__).parents[1] / "data" / "corpus" / "hostile.jsonl"
ODD = ["", "plain", "中文摘要，带标点。", "👩\u200d🔬 emoji", "line\nbreak\x00nul", "é" * 5000]


def test_text_file_reads_back_every_text_in_any_order(tmp_path: Path) -> None:
    store = TextFile(tmp_path)
    rows = [store.append(text) for text in ODD]
    texts = store.texts([5, 0, 2, 2])

    assert rows == list(range(len(ODD)))
    assert isinstance(texts, DiskTexts) and len(texts) == 4
    assert list(texts) == [ODD[5], ODD[0], ODD[2], ODD[2]]
    assert texts[1] == "" and texts[-1] == ODD[2] and texts[1:3] == [ODD[0], ODD[2]]
    assert list(texts.take([3, 0])) == [ODD[2], ODD[5]]
    assert take_texts(texts, [1]) == [ODD[0]] and take_texts(ODD, [3]) == [ODD[3]]
    # A Dask task gets a plain list; the store's file is unlinked: nothing left in the folder.
    assert pickle.loads(pickle.dumps(texts)) == [ODD[5], ODD[0], ODD[2], ODD[2]]
    assert list(tmp_path.iterdir()) == []


def _compare(on_disk, in_memory) -> None:  # noqa: ANN001
    assert isinstance(on_disk.texts, DiskTexts) and isinstance(in_memory.texts, list)
    assert list(on_disk.texts) == in_memory.texts
    for field in ("ids", "titles", "langs", "sources", "dates", "labels"):
        assert getattr(on_disk, field) == getattr(in_memory, field), field
    assert on_disk.reading_positions.tolist() == in_memory.reading_positions.tolist()
    assert on_disk.text_hashes == [text_hash(text) for text in in_memory.texts]
    assert on_disk.documents_read == in_memory.documents_read
    assert on_disk.duplicates_dropped == in_memory.duplicates_dropped


@pytest.mark.parametrize("paths", [[SEEDS], [HOSTILE], [SEEDS, HOSTILE]])
def test_spilled_corpus_equals_the_in_memory_one(tmp_path: Path, paths: list[Path]) -> None:
    section = CorpusSection(paths=[str(p) for p in paths])
    on_disk = load_corpus(section, spill=tmp_path / "spill")
    in_memory = load_corpus(section)

    _compare(on_disk, in_memory)
    _compare(on_disk.canonical(), in_memory.canonical())
    order = [3, 0, 2]
    _compare(on_disk.subset(order), in_memory.subset(order))


def test_duplicates_keep_the_canonical_copy_with_texts_on_disk(tmp_path: Path) -> None:
    # The later file by name holds the copy read first: the kept copy (and id) must be the
    # earlier file's, with the one stored text, whichever file is listed first.
    text = "Duplicated abstract about graph neural networks and message passing."
    for name, ids in (("b.jsonl", ["b1", "b2"]), ("a.jsonl", ["a1", "a2"])):
        rows = [{"id": ids[0], "abstract": text}, {"id": ids[1], "abstract": f"{text} {name}"}]
        (tmp_path / name).write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    section = CorpusSection(paths=[str(tmp_path / "b.jsonl"), str(tmp_path / "a.jsonl")])

    corpus = load_corpus(section, spill=tmp_path / "spill")

    assert corpus.duplicates_dropped == 1 and len(corpus) == 3
    assert dict(zip(corpus.ids, corpus.texts, strict=True))["a1"] == text
    assert "b1" not in corpus.ids


def test_text_file_reads_without_pread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("topics.corpus.texts._PREAD", None)  # as on Windows
    store = TextFile(tmp_path)
    for text in ODD[:3]:
        store.append(text)
    texts = store.texts([2, 1])
    assert list(texts) == [ODD[2], ODD[1]]
    store.append("appended after a read")  # the write position is back at the end
    assert list(store.texts([3, 0])) == ["appended after a read", ODD[0]]
