"""Does a topic's name say what the topic is about? (issue 21, part 1: the measure first).

Every reference class of a bench corpus gets a readable name (CSL's discipline names as they
are; OHSUMED's C01–C23 as their MeSH disease categories; arXiv archives as subjects). Each
fine topic's name is embedded with multilingual USE beside every class name, and scored by the
rank of its majority class's name among all class names by cosine similarity: the size-weighted
mean reciprocal rank (1 = the right subject is always the closest name; with 18 classes a
random name scores about .19). Also reported: the names' length in words (units for ours), the
share of names that repeat a word of another name (words: what separators `` · ``, `` / ``
and ``_`` part, topic ids left out), and language purity (an English name holds
no Han character and a Chinese one no Latin word).

Names scored: today's ``label`` (``topics.csv``) and plain BERTopic's (``0_word_word_word``:
the topic's three best c-TF-IDF words, from ``words``). The runs are the bench corpora with both
presets (``bench/data.py``'s configs; an existing folder under ``--runs`` is reused, else run).
Writes ``bench/results/names.{json,md}``.

Usage: ``python bench/names.py [--runs /tmp/names-bench/reports] [--cache DIR]``
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from data import BENCH_DATA, CORPORA, bench_config

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

MESH = {
    "C01": "bacterial infections and mycoses",
    "C02": "virus diseases",
    "C03": "parasitic diseases",
    "C04": "neoplasms, cancer and tumors",
    "C05": "musculoskeletal diseases",
    "C06": "digestive system diseases",
    "C07": "stomatognathic diseases, mouth and teeth",
    "C08": "respiratory tract diseases",
    "C09": "otorhinolaryngologic diseases, ear nose and throat",
    "C10": "nervous system diseases",
    "C11": "eye diseases",
    "C12": "urologic and male genital diseases",
    "C13": "female genital diseases and pregnancy complications",
    "C14": "cardiovascular diseases",
    "C15": "hemic and lymphatic diseases",
    "C16": "neonatal diseases and abnormalities",
    "C17": "skin and connective tissue diseases",
    "C18": "nutritional and metabolic diseases",
    "C19": "endocrine diseases",
    "C20": "immunologic diseases",
    "C21": "disorders of environmental origin",
    "C22": "animal diseases",
    "C23": "pathological conditions, signs and symptoms",
}
ARXIV = {
    "astro-ph": "astrophysics",
    "cond-mat": "condensed matter physics",
    "gr-qc": "general relativity and quantum cosmology",
    "hep-ex": "high energy physics experiment",
    "hep-lat": "lattice field theory",
    "hep-ph": "high energy physics phenomenology",
    "hep-th": "high energy physics theory",
    "math": "mathematics",
    "math-ph": "mathematical physics",
    "nlin": "nonlinear sciences",
    "nucl-ex": "nuclear physics experiment",
    "nucl-th": "nuclear physics theory",
    "physics": "physics",
    "quant-ph": "quantum physics",
    "cs": "computer science",
    "q-bio": "quantitative biology",
    "q-fin": "quantitative finance",
    "stat": "statistics",
}
_HAN = re.compile(r"[\u3400-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def class_of(corpus: str, label: str) -> str:
    """The reference class of a document's label (arXiv: its archive)."""
    return label.split(".")[0] if corpus == "arxiv_en" else label


def class_names(corpus: str, classes: list[str]) -> dict[str, str]:
    if corpus == "ohsumed_en":
        return {c: MESH[c] for c in classes}
    if corpus == "arxiv_en":
        return {c: ARXIV.get(c, c) for c in classes}
    return {c: c for c in classes}  # CSL: discipline names, readable already


def name_words(name: str) -> list[str]:
    """The words of a name: separators (`` · ``, `` / ``, ``_``), the joiners of a joined
    name (`` and ``, ``,``, 与, 、) and topic ids left out; a Chinese unit (no spaces) is one
    word."""
    parts = re.split(r"[\s·/_,、与]+", name)
    return [w for w in parts if w and not w.isdigit() and w.lower() != "and"]


def name_heads(name: str) -> set[str]:
    """Head words of a name: each part's (`` · ``, `` / ``, ``_``, `` and ``, 与 split it)
    last word, as :func:`topics.naming.offline.head_word` takes it."""
    from topics.naming.offline import head_word
    from topics.text.tokenizer import MixedTokenizer

    segment = MixedTokenizer()
    parts = re.split(r" · | / |_| and |与", name)
    return {head_word(p.strip(), segment) for p in parts if p.strip() and not p.strip().isdigit()}


def score_names(
    names: dict[int, str],
    majority: dict[int, str],
    sizes: dict[int, int],
    classes: dict[str, str],
    embed,  # noqa: ANN001 (texts -> unit vectors)
) -> dict:
    topics = sorted(names)
    class_ids = sorted(classes)
    name_vectors = embed([names[t] for t in topics])
    class_vectors = embed([classes[c] for c in class_ids])
    similarity = name_vectors @ class_vectors.T
    ranks = []
    for row, topic in enumerate(topics):
        order = np.argsort(-similarity[row], kind="stable")
        position = int(np.flatnonzero(np.asarray(class_ids)[order] == majority[topic])[0])
        ranks.append(1.0 / (position + 1))
    weights = np.array([sizes[t] for t in topics], dtype=float)
    words = [{w.lower() for w in name_words(names[t])} for t in topics]
    repeats = [
        bool(words[i] & set().union(*(words[j] for j in range(len(words)) if j != i)))
        for i in range(len(words))
    ]
    heads = [name_heads(names[t]) for t in topics]
    head_repeats = [
        bool(heads[i] & set().union(*(heads[j] for j in range(len(heads)) if j != i)))
        for i in range(len(heads))
    ]
    pure = []
    for topic in topics:
        for part in names[topic].split(" / "):
            han, latin = bool(_HAN.search(part)), bool(_LATIN_WORD.search(part))
            pure.append(not (han and latin))
    return {
        "mrr": round(float(np.average(ranks, weights=weights)), 3),
        "top1": round(float(np.average(np.array(ranks) == 1.0, weights=weights)), 3),
        "random_mrr": round(float(np.mean(1.0 / np.arange(1, len(class_ids) + 1))), 3),
        "mean_words": round(float(np.mean([len(name_words(n)) for n in names.values()])), 2),
        "repeat_share": round(float(np.mean(repeats)), 3),
        "head_repeat_share": round(float(np.mean(head_repeats)), 3),
        "longest_words": max(len(name_words(n)) for n in names.values()),
        "language_purity": round(float(np.mean(pure)), 3),
        "topics": len(topics),
    }


def run_folder(corpus, preset: str, runs: Path, cache: Path, fresh: bool) -> Path:
    folder = runs / f"{corpus.name}-{preset}"
    if fresh or not (folder / "topics.csv").is_file():
        from topics.pipeline import run_pipeline

        config = bench_config(preset, BENCH_DATA / corpus.file, runs, cache, folder.name)
        run_pipeline(config)
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, default=Path("/tmp/names-bench/reports"))
    parser.add_argument("--cache", type=Path, default=Path("/tmp/names-bench/cache"))
    parser.add_argument("--presets", nargs="*", default=["fast", "default"])
    parser.add_argument("--fresh", action="store_true", help="re-run even where a folder exists")
    args = parser.parse_args()
    from topics.config import EmbeddingSection
    from topics.embed.base import l2_normalize, make_embedder

    embedder = make_embedder(EmbeddingSection(backend="use"))

    def embed(texts: list[str]) -> np.ndarray:
        return l2_normalize(embedder.embed(texts, [str(i) for i in range(len(texts))]))

    results: dict = {}
    examples: dict = {}
    for corpus in CORPORA:
        for preset in args.presets:
            folder = run_folder(corpus, preset, args.runs, args.cache, args.fresh)
            documents = pd.read_parquet(folder / "documents.parquet", columns=["topic", "label"])
            documents = documents[documents["topic"] != -1]
            documents["class"] = [class_of(corpus.name, str(v)) for v in documents["label"]]
            majority = documents.groupby("topic")["class"].agg(lambda x: x.value_counts().index[0])
            sizes = documents["topic"].value_counts()
            classes = class_names(corpus.name, sorted(documents["class"].unique()))
            table = pd.read_csv(folder / "topics.csv", keep_default_na=False)
            table = table[table["topic"].astype(int).isin(majority.index)]
            ours = {int(t): str(n) for t, n in zip(table["topic"], table["label"], strict=True)}
            named = {int(t): str(n) for t, n in zip(table["topic"], table["name"], strict=True)}
            plain = {
                int(t): "_".join([str(t), *[w.strip() for w in str(ws).split("|")][:3]])
                for t, ws in zip(table["topic"], table["words"], strict=True)
            }
            kinds = (("topics name", named), ("topics label", ours), ("BERTopic 0_w_w_w", plain))
            for kind, names in kinds:
                key = f"{corpus.name}/{preset}/{kind}"
                results[key] = score_names(
                    names, majority.to_dict(), sizes.to_dict(), classes, embed
                )
                print(key, results[key], flush=True)
            examples[f"{corpus.name}/{preset}"] = [
                {"size": int(sizes[t]), "class": classes[majority[t]], "label": ours[t],
                 "name": named[t], "bertopic": plain[t]}
                for t in sorted(named, key=lambda t: -int(sizes[t]))[:6]
            ]  # fmt: skip
    document = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "embedder": "use (multilingual USE)",
        "results": results,
        "examples": examples,
    }
    (RESULTS / "names.json").write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    lines = [
        "# Do topic names say what the topic is about? (`bench/names.py`)",
        "",
        f"{document['date']}. Fine topics of each bench corpus; a name is scored by the rank of "
        "its topic's majority class name among all class names (USE cosine), size-weighted MRR; "
        "`top1` = share of documents whose topic's name is closest to the right class name.",
        "",
        "| corpus / preset / names | topics | MRR (random) | top1 | words (longest) | repeat a "
        "word of another name | repeat a head word | language purity |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key, row in results.items():
        lines.append(
            f"| {key} | {row['topics']} | {row['mrr']} ({row['random_mrr']}) | {row['top1']} | "
            f"{row['mean_words']} ({row['longest_words']}) | {row['repeat_share']} | "
            f"{row['head_repeat_share']} | {row['language_purity']} |"
        )
    target = (
        "Targets (offline names beat the labels and BERTopic's names on MRR; 1–5 words; no "
        "name repeating another's head word; language purity 1.0):"
    )
    lines += ["", target, ""]
    for run in dict.fromkeys(key.rsplit("/", 1)[0] for key in results):
        name, label = results[f"{run}/topics name"], results[f"{run}/topics label"]
        plain = results[f"{run}/BERTopic 0_w_w_w"]
        beats = name["mrr"] > label["mrr"] and name["mrr"] > plain["mrr"]
        lines.append(
            f"- {run}: MRR {name['mrr'] - label['mrr']:+.3f} vs the labels, "
            f"{name['mrr'] - plain['mrr']:+.3f} vs BERTopic ({'met' if beats else '**miss**'}); "
            f"longest {name['longest_words']} words, head words repeated "
            f"{name['head_repeat_share']:.0%}, purity {name['language_purity']:.0%}"
        )
    lines += ["", "Largest topics, before → after:", ""]
    for key, rows in examples.items():
        lines += [f"**{key}**", "", "| size | majority class | label | name | BERTopic |",
                  "|---|---|---|---|---|"]  # fmt: skip
        for row in rows:
            cells = [str(row[k]).replace("|", "\\|") for k in
                     ("size", "class", "label", "name", "bertopic")]  # fmt: skip
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    (RESULTS / "names.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
