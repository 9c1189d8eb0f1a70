"""Which texts the `distilled` table is trained, tuned and measured on (issue 11).

Every text belongs to exactly one split, decided by a hash, never by a random draw:

* bench corpora (CSL, OHSUMED, arXiv): by the hash of the normalised abstract, so one text that
  appears under two ids cannot be in two splits;
* ChinaXiv pairs: by the hash of the pair id, so both sides of a pair share a split; the pairs
  copied into ``tests/data`` are always ``test``.

Buckets 0–29 of 100 are ``test`` (held out: every reported number is measured there), 30–39
``dev`` (choices such as the ridge strength are tuned there), the rest ``train``. Within a
split, a seeded sample keeps the number of texts that full USE must embed modest.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from topics.corpus.clean import normalise_text

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BENCH_DATA = ROOT.parent / "shared" / "data" / "bench"
PAIRS_FILE = BENCH_DATA / "chinaxiv_pairs.jsonl.gz"
TEST_PAIR_FILES = [
    ROOT / "tests" / "data" / "crosslingual" / "chinaxiv_pairs_40.jsonl.gz",
    ROOT / "tests" / "data" / "embed" / "chinaxiv_pairs_12.jsonl",
]
SAMPLE_SEED = 20261123
SPLITS = ("train", "dev", "test")


@dataclass(frozen=True)
class BenchSource:
    """One labelled monolingual bench corpus and how many texts each split uses."""

    name: str
    file: str
    label_field: str
    lang: str
    sizes: dict[str, int]


SOURCES = [
    BenchSource(
        "csl_zh", "csl_zh.jsonl.gz", "label", "zh", {"train": 3000, "dev": 300, "test": 1000}
    ),
    BenchSource(
        "ohsumed_en",
        "ohsumed_en.jsonl.gz",
        "label",
        "en",
        {"train": 2000, "dev": 300, "test": 1000},
    ),
    BenchSource(
        "arxiv_en",
        "arxiv_sample_en.jsonl.gz",
        "label_archive",
        "en",
        {"train": 2000, "dev": 300, "test": 1000},
    ),
]


@dataclass(frozen=True)
class Doc:
    """One text to embed: ``pair`` is the ChinaXiv pair id (``None`` for bench texts)."""

    id: str
    text: str
    lang: str
    label: str | None
    source: str
    pair: str | None = None


def bucket(key: str) -> int:
    """0–99 from a stable hash of ``key``."""
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "big") % 100


def split_of(key: str) -> str:
    """``test`` for buckets 0–29, ``dev`` for 30–39, ``train`` otherwise."""
    number = bucket(key)
    return "test" if number < 30 else "dev" if number < 40 else "train"


def _read_jsonl(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as stream:
        return [json.loads(line) for line in stream if line.strip()]


def test_pair_ids() -> set[str]:
    """Ids of the pairs the test suite embeds: never trained or tuned on."""
    return {row["id"] for path in TEST_PAIR_FILES for row in _read_jsonl(path)}


def pair_docs(split: str) -> list[Doc]:
    """Both sides (zh first, then en) of every ChinaXiv pair of ``split``, in file order."""
    forced = test_pair_ids()
    docs = []
    for row in _read_jsonl(PAIRS_FILE):
        zh, en = normalise_text(row.get("zh") or ""), normalise_text(row.get("en") or "")
        if not zh or not en:
            continue
        where = "test" if row["id"] in forced else split_of(row["id"])
        if where != split:
            continue
        label = row.get("label")
        docs.append(Doc(f"{row['id']}#zh", zh, "zh", label, "pairs", row["id"]))
        docs.append(Doc(f"{row['id']}#en", en, "en", label, "pairs", row["id"]))
    return docs


def bench_docs(source: BenchSource, split: str) -> list[Doc]:
    """A seeded sample of ``source.sizes[split]`` distinct texts of ``split`` (file order)."""
    seen: set[str] = set()
    rows = []
    for row in _read_jsonl(BENCH_DATA / source.file):
        text = normalise_text(row.get("abstract") or "")
        if not text or text in seen or split_of(text) != split:
            continue
        seen.add(text)
        rows.append(
            Doc(str(row["id"]), text, source.lang, row.get(source.label_field), source.name)
        )
    size = source.sizes[split]
    if size < len(rows):
        picked = sorted(
            random.Random(f"{SAMPLE_SEED}:{source.name}:{split}").sample(range(len(rows)), size)
        )
        rows = [rows[i] for i in picked]
    return rows


def all_docs(split: str) -> dict[str, list[Doc]]:
    """``{source name: docs}`` for one split, the pairs under ``"pairs"``."""
    sets = {"pairs": pair_docs(split)}
    for source in SOURCES:
        sets[source.name] = bench_docs(source, split)
    return sets


def kmeans_nmi(vectors: np.ndarray, labels: list, seeds: tuple[int, ...] = (0, 1, 2)) -> float:
    """NMI of KMeans told the true number of labels, mean over ``seeds``."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import normalized_mutual_info_score

    k = len(set(labels))
    scores = [
        normalized_mutual_info_score(
            labels, KMeans(k, n_init=3, random_state=seed).fit_predict(vectors)
        )
        for seed in seeds
    ]
    return float(np.mean(scores))
