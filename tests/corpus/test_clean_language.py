"""Text normalisation and language tags, on real abstracts where it matters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from topics.config import FieldsSection
from topics.corpus import detect_language, normalise_text
from topics.corpus.readers import read_seed

DATA = Path(__file__).parents[1] / "data" / "corpus"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  a\t\tb\r\n c  ", "a b c"),
        ("深度\u3000\u3000学习\u00a0\u00a0模型", "深度 学习 模型"),  # ideographic space, NBSP
        ("e\u0301tude", "\u00e9tude"),  # NFC composes
        ("结果，表明：（1）", "结果，表明：（1）"),  # full-width punctuation kept (not NFKC)
        ("ｆｕｌｌ ｗｉｄｔｈ", "ｆｕｌｌ ｗｉｄｔｈ"),
        ("a\x00b\x1fc\x7fd\x85e", "a b c d e"),  # controls become spaces
        ("safe\u202eevil\u202c text\u2066x\u2069", "safeevil textx"),  # bidi controls removed
        ("zero\u200bwidth soft\u00adhyphen \ufeffbom", "zerowidth softhyphen bom"),
        ("bad \ud800 surrogate", "bad surrogate"),
        ("👩\u200d🔬 stays", "👩\u200d🔬 stays"),  # ZWJ sequences survive
        ("line\u2028separator", "line separator"),
        ("", ""),
    ],
)
def test_normalise_text(raw: str, clean: str) -> None:
    assert normalise_text(raw) == clean


def test_normalise_text_is_idempotent_on_real_abstracts() -> None:
    for record in read_seed(DATA / "seeds" / "000_5577003dcb3ec7a1.txt", FieldsSection()):
        once = normalise_text(record.text)
        assert normalise_text(once) == once
        assert once == record.text  # the seed files are already clean


def test_real_seed_abstracts_get_their_hand_checked_language() -> None:
    expected = {
        "000_5577003dcb3ec7a1": "zh en en en zh zh zh zh zh zh",
        "004_ea0dbba466a8141e": "en en zh zh en en en en en zh",
    }
    for stem, tags in expected.items():
        records = read_seed(DATA / "seeds" / f"{stem}.txt", FieldsSection())
        assert [detect_language(r.text) for r in records] == tags.split(), stem


def test_hard_real_samples_get_their_expected_language() -> None:
    # Chinese full of LaTeX and Latin terms, an English abstract inside the Chinese corpus,
    # Chinese built around chemical formulas (see tests/data/corpus/README.md).
    lines = (DATA / "language_samples.jsonl").read_text("utf-8").splitlines()
    samples = [json.loads(line) for line in lines]
    assert len(samples) == 6
    for sample in samples:
        assert detect_language(normalise_text(sample["text"])) == sample["expected"], sample["id"]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("我们提出了一种基于Transformer的PTQ方法,在ImageNet上取得了SOTA结果。", "zh"),
        ("We propose a method for the analysis of graphs and evaluate it on two benchmarks.", "en"),
        ("Deep Learning for Graphs", "en"),  # a title: no function words either way
        ("Potassium intercalation in graphite: A van der Waals density-functional study", "en"),
        (
            "Nous proposons une nouvelle méthode pour l'apprentissage des représentations "
            "de graphes, qui est évaluée sur plusieurs jeux de données.",
            "other",
        ),
        (
            "Wir schlagen eine neue Methode für das Lernen von Graphdarstellungen vor, die auf "
            "mehreren Datensätzen evaluiert wird.",
            "other",
        ),
        ("本研究では、グラフ表現学習のための新しい手法を提案する。", "other"),  # Japanese
        ("우리는 그래프 표현 학습을 위한 새로운 방법을 제안한다.", "other"),  # Korean
        ("Мы предлагаем новый метод обучения представлений графов.", "other"),  # Cyrillic
        ("12345 ... !!! 2.5%", "other"),
        ("", "other"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language
