"""MixedTokenizer on real seed abstracts and on the cases that broke peers' Chinese pipelines."""

from __future__ import annotations

import json
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sklearn.feature_extraction.text import CountVectorizer

from topics.text import MixedTokenizer, is_junk_token, stopwords

SEEDS = json.loads(
    (Path(__file__).parents[1] / "data" / "text" / "seed_abstracts.json").read_text("utf-8")
)
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def tokenizer() -> MixedTokenizer:
    return MixedTokenizer()


@pytest.fixture(scope="module")
def seed_tokens(tokenizer: MixedTokenizer) -> dict[str, list[str]]:
    return {name: tokenizer(seed["text"]) for name, seed in SEEDS.items()}


def test_acronyms_and_model_names_survive_in_chinese_text(seed_tokens):
    tokens = seed_tokens["zh_selfsupervised"]
    # Machine-translated casings fold onto one form; all-caps acronyms keep their case.
    for expected in ("simclr", "swav", "byol", "moco", "v2", "AUPRC", "SIMCLR", "BYOL"):
        assert expected in tokens
    for expected in ("imagenet-100", "cifar-10", "cifar-100", "STL-10"):
        assert expected in tokens
    for expected in ("自我", "监督", "下游", "分类", "判别", "特征", "噪声"):
        assert expected in tokens


def test_hyphenated_acronym_and_chinese_terms(seed_tokens):
    tokens = seed_tokens["zh_gpr_mgk"]
    assert "GPR-MGK" in tokens
    assert "GNN" in tokens
    assert "AL" in tokens  # an acronym, although "al" of "et al." is junk
    assert {"分子", "动力学", "热力学", "化学"} <= set(tokens)


def test_english_abstract_keeps_acronyms_and_compounds(seed_tokens):
    bert = seed_tokens["en_bert"]
    assert bert.count("BERT") >= 4
    assert "GLUE" in bert and "SQuAD" not in bert and "squad" in bert
    assert "bidirectional" in bert and "transformers" in bert
    assert "al" not in bert and "AL" not in bert  # "Peters et al., 2018a"
    assert "modifications" in bert  # "modifications.BERT" splits at the full stop
    zero_shot = seed_tokens["en_zero_shot"]
    assert "GPT-3" in zero_shot and "T5-XL" in zero_shot and "OPT" in zero_shot
    assert "zero-shot" in zero_shot and "self-supervised" in zero_shot
    # Sizes written as 80M / 3B / 175B are numbers, not words.
    assert not {"80m", "3b", "175b", "80M", "3B"} & set(zero_shot)


def test_no_output_token_is_junk(seed_tokens):
    stop = stopwords()
    for name, tokens in seed_tokens.items():
        assert tokens, name
        for token in tokens:
            assert not is_junk_token(token, stop), (name, token)
            assert token.lower() not in stop, (name, token)
            assert not re.fullmatch(r"[\d.,%]+", token), (name, token)
            assert len(token) > 1, (name, token)
            assert token.strip() == token and token, (name, token)


def test_boilerplate_is_removed(seed_tokens):
    everything = {t for tokens in seed_tokens.values() for t in tokens}
    for word in ("本文", "我们", "提出", "表明", "使用", "利用", "此外", "通过", "进行"):
        assert word not in everything
    for word in ("propose", "results", "we", "the", "however", "state-of-the-art", "also"):
        assert word not in everything


def test_english_words_in_chinese_text_keep_their_spaces(tokenizer):
    # Turftopic's vectorizer deletes the spaces: "largelanguagemodel".
    tokens = tokenizer("我们研究了large language model的对齐问题")
    assert tokens[:3] == ["large", "language", "model"]
    assert not any("largelanguage" in t for t in tokens)
    assert "对齐" in tokens


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Квантовая теория поля и ЯМР", ["квантовая", "теория", "поля", "ЯМР"]),
        ("Η κβαντική θεωρία πεδίου", ["κβαντική", "θεωρία", "πεδίου"]),
        ("양자장론은 입자의 상호작용을", ["양자장론은", "입자의", "상호작용을"]),
        ("نظرية المجال الكمومي", ["نظرية", "المجال", "الكمومي"]),
        ("ネットワーク構造の学習", ["ネットワーク", "構造", "学習"]),
        ("α-helix and β-sheet at 5 μm", ["α-helix", "β-sheet", "μm"]),
    ],
)
def test_words_of_other_alphabetic_scripts_are_kept(tokenizer, text: str, expected: list[str]):
    # Only Latin words were kept: a Russian corpus was labelled with its few Latin acronyms.
    assert tokenizer(text) == expected


def test_numbers_are_dropped_in_every_form(tokenizer):
    text = "在2019年,准确率为0.91,增长8%,10k样本;１e-5;２０２０年;三十个样本;两种;1990s GPT-4 l2 3D"
    tokens = tokenizer(text)
    assert tokens == ["准确率", "增长", "样本", "样本", "GPT-4", "l2", "3d"]


def test_traditional_stopwords_are_removed(tokenizer):
    tokens = tokenizer("我們提出了一種新的方法，這些結果表明該模型對於圖像分類非常有效。")
    assert "模型" in tokens
    for word in ("我們", "一種", "這些", "結果", "表明", "對於", "非常", "有效", "該"):
        assert word not in tokens
    assert "這些" in stopwords() and "我們" in stopwords()


def test_single_han_characters_dropped_by_default():
    text = "书和茶的文化研究"
    assert "书" not in MixedTokenizer()(text)
    kept = MixedTokenizer(drop_single_han=False)(text)
    assert "书" in kept and "茶" in kept
    assert "和" not in kept and "的" not in kept  # function characters are still stopwords


def test_extra_stopwords_any_case_and_script():
    tokenizer = MixedTokenizer(extra_stopwords=["Transformers", "语言模型"])
    tokens = tokenizer("Transformers 和 TRANSFORMERS 都是語言模型, BERT 也是语言模型")
    assert tokens == ["BERT"]


def test_full_width_and_odd_input(tokenizer):
    assert tokenizer("ＢＥＲＴ　ｍｏｄｅｌ") == ["BERT", "model"]
    assert tokenizer("") == []
    assert tokenizer(None) == []  # type: ignore[arg-type]
    assert tokenizer("!!! ... ，。、 --- ∑∫") == []
    # Hostile input finishes (no catastrophic regex backtracking) and yields no junk.
    assert tokenizer("a-" * 20_000) == []


def test_pickle_round_trip_and_determinism(tokenizer):
    clone = pickle.loads(pickle.dumps(MixedTokenizer(extra_stopwords=["speech"])))
    text = SEEDS["zh_selfsupervised"]["text"]
    assert clone(text) == tokenizer(text)
    assert clone("speech recognition") == ["recognition"]
    assert len(pickle.dumps(clone)) < 1_000  # settings only, no stopword set or jieba state


def test_works_as_countvectorizer_tokenizer(tokenizer):
    docs = [seed["text"] for seed in SEEDS.values()]
    vectorizer = CountVectorizer(tokenizer=tokenizer, lowercase=False, token_pattern=None)
    matrix = vectorizer.fit_transform(docs)
    vocabulary = set(vectorizer.get_feature_names_out())
    assert matrix.shape[0] == len(docs)
    assert {"BERT", "GPR-MGK", "simclr", "分子"} <= vocabulary
    assert any(HAN.search(word) for word in vocabulary)


def test_jieba_start_is_silent():
    code = "from topics.text import MixedTokenizer; print(MixedTokenizer()('我们研究自然语言处理'))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stderr == ""
    assert "自然语言" in done.stdout
