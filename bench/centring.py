"""Language centring through the whole pipeline (issue 22, part 2).

``embedding.centre_languages`` on and off, per backend (``use``, ``distilled``, ``e5``), on
two mixed corpora:

* the ChinaXiv pair corpus (both sides of N pairs, ``bench/crosslingual.py``'s layout):
  recall@1 both ways on the vectors the pipeline clusters, and the share of pairs whose two
  sides get one topic (outliers count as a miss);
* the shipped sample (``data/sample``, the default config's corpus): topics, and the share of
  documents in topics that are ≥ 95% one language (the run's own ``language_split``).

Vectors come from the pipeline's per-document cache (``--cache-dir``): with the teacher cache
of ``bench/train_distilled.py`` every pair text is already embedded by USE and e5.

Usage: ``python bench/centring.py [--pairs 2000] [--backends use,distilled,e5]``; writes
``bench/results/centring.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from crosslingual import (  # noqa: E402
    DEFAULT_DATA,
    co_assignment,
    pair_rows,
    read_pairs,
    write_pair_corpus,
)

from data import source_id  # noqa: E402
from topics.config import load_config  # noqa: E402
from topics.corpus import load_corpus  # noqa: E402
from topics.crosslingual import retrieval_recall_at_1  # noqa: E402
from topics.embed.centring import centre, language_means  # noqa: E402
from topics.pipeline import SilentProgress, embed_corpus, run_pipeline  # noqa: E402

SETTINGS = ("off", "on")


def config(  # noqa: ANN201
    corpus: Path | None, backend: str, setting: str, base: list[str], kind: str = "pairs"
):
    overrides = [*base, f"embedding.backend={backend}", f"embedding.centre_languages={setting}"]
    name = f"{'sample' if corpus is None else kind}-{backend}-{setting}"
    overrides.append(f"run.name={name}")
    if corpus is not None:
        overrides.append(f"corpus.paths={json.dumps([str(corpus)])}")
    return load_config(ROOT / "configs" / "default.yaml", overrides)


def recall(corpus: Path, backend: str, base: list[str]) -> dict:
    """Recall@1 of the backend's vectors of the pair corpus, as they are and centred."""
    settings = config(corpus, backend, "off", base)
    documents = load_corpus(settings.corpus)
    vectors = np.asarray(embed_corpus(documents, settings, SilentProgress()).vectors, np.float64)
    _, zh, en = pair_rows(documents)
    langs = list(documents.langs)
    centred_vectors = centre(vectors, langs, language_means(vectors, langs))
    raw = retrieval_recall_at_1(vectors[zh], vectors[en])
    centred = retrieval_recall_at_1(centred_vectors[zh], centred_vectors[en])
    return {
        "off": [round(raw[0], 4), round(raw[1], 4)],
        "on": [round(centred[0], 4), round(centred[1], 4)],
    }


def pair_entry(result) -> dict:
    names, zh, en = pair_rows(result.corpus)
    together = co_assignment(np.asarray(result.topics.assignments), names, zh, en)
    together.pop("miss_examples")
    return {"centring": result.manifest["language_centring"], "pairs": len(names), **together}


MIX_SIZE = 1500
MIX_SEED = 20261207


def write_disjoint_mix(path: Path) -> Path:
    """CSL (zh) and arXiv (en) abstracts, ``MIX_SIZE`` each (seeded), labelled by source:
    a mixed corpus whose two languages hold different subject mixes (centring's worst case:
    the language means differ by subject as well as by language)."""
    import gzip
    import random

    data = DEFAULT_DATA.parent
    rows = []
    for file, field, prefix in (
        ("csl_zh.jsonl.gz", "label_coarse", "csl"),
        ("arxiv_sample_en.jsonl.gz", "label_archive", "arxiv"),
    ):
        with gzip.open(data / file, "rt", encoding="utf-8") as lines:
            source = [json.loads(line) for line in lines]
        for row in random.Random(MIX_SEED).sample(source, MIX_SIZE):
            rows.append({**row, "label": f"{prefix}:{row[field]}"})
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    return path


def mix_entry(result, labels: dict[str, str]) -> dict:
    """NMI against the source-prefixed labels, and topics holding both languages."""
    from sklearn.metrics import normalized_mutual_info_score

    assignments = np.asarray(result.topics.assignments)
    truth = [labels[source_id(i, labels)] for i in result.corpus.ids]
    langs = np.asarray(result.corpus.langs)
    mixed = 0
    for topic in set(assignments.tolist()) - {-1}:
        members = langs[assignments == topic]
        mixed += min((members == "zh").mean(), (members == "en").mean()) >= 0.1
    return {
        "nmi": round(float(normalized_mutual_info_score(truth, assignments)), 4),
        "topics": len(set(assignments.tolist()) - {-1}),
        "topics_with_both_languages": int(mixed),
        "centring": result.manifest["language_centring"],
    }


def sample_entry(result) -> dict:
    split = result.manifest["diagnostics"]["language_split"]
    return {
        "documents": len(result.corpus.ids),
        "topics": split["topics_total"],
        "one_language_topics": len(split["topics"]),
        "one_language_document_share": split["document_share"],
        "centring": result.manifest["language_centring"],
    }


def mix_cell(row: dict, key: str, pattern: str) -> str:
    entry = row.get("disjoint_mix")
    return "—" if entry is None else format(entry[key], pattern)


def markdown(report: dict) -> str:
    lines = [
        "# Language centring through the pipeline (`bench/centring.py`)",
        "",
        f"{report['date']} · {report['machine']} · `default` preset, only the backend and "
        f"`embedding.centre_languages` changed · {report['pairs']} ChinaXiv pairs "
        f"({2 * report['pairs']} documents); the shipped sample ({report['sample_documents']} "
        "documents). Recall@1 of the backend's vectors, as they are (off) and with each "
        "language's mean removed (on); co-assigned = both sides in one topic (outliers a "
        "miss). `auto` (the schema's default) centres only e5 here.",
        "",
        f"Disjoint mix: {MIX_SIZE} CSL (zh) + {MIX_SIZE} arXiv (en) abstracts, NMI against "
        "the source-prefixed labels (CSL's 13 disciplines, arXiv's archives) and topics with "
        "both languages (each ≥ 10%): the case where the two language means differ by "
        "subject, not only by language.",
        "",
        "| backend | centring | recall@1 zh→en / en→zh | pairs co-assigned | topics | outliers "
        "| sample topics | sample documents in one-language topics | disjoint mix NMI "
        "| mix topics with both languages |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in report["rows"]:
        pairs, sample = row["pairs"], row["sample"]
        recall = " / ".join(f"{value:.3f}" for value in pairs["recall_at_1"])
        lines.append(
            f"| {row['backend']} | {row['setting']} | {recall} | {pairs['co_assigned']:.3f} "
            f"| {pairs['topics']} | {pairs['outlier_share']:.1%} | {sample['topics']} "
            f"| {sample['one_language_document_share']:.1%} "
            f"({sample['one_language_topics']} topics) | {mix_cell(row, 'nmi', '.3f')} "
            f"| {mix_cell(row, 'topics_with_both_languages', 'd')} of "
            f"{mix_cell(row, 'topics', 'd')} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=2000)
    parser.add_argument("--backends", default="use,distilled,e5")
    parser.add_argument("--cache-dir", type=Path, default=Path("/work/teacher-cache"))
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument(
        "--mix",
        default="use,distilled",
        help="backends also run on the disjoint mix (e5 would embed its 3,000 texts: ~20 min)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the other backends' rows of the last report"
    )
    args = parser.parse_args()
    pairs = read_pairs(DEFAULT_DATA, args.pairs)
    backends = args.backends.split(",")
    report = {
        "date": datetime.now(UTC).date().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "rows": [],
    }
    last = args.out / "centring.json"
    if args.keep and last.exists():
        kept = json.loads(last.read_text())
        report["rows"] = [row for row in kept["rows"] if row["backend"] not in backends]
    with tempfile.TemporaryDirectory(prefix="centring-") as temp:
        work = Path(temp)
        corpus = write_pair_corpus(pairs, work / "pairs.jsonl")
        mix = write_disjoint_mix(work / "mix.jsonl")
        mix_labels = {
            str(json.loads(line)["id"]): json.loads(line)["label"]
            for line in mix.read_text().splitlines()
        }
        base = [
            f"cache.dir={args.cache_dir.resolve()}",
            f"output.dir={work / 'reports'}",
            "output.report=false",
            "output.save_model=false",
        ]
        for backend in backends:
            recalls = recall(corpus, backend, base)
            for setting in SETTINGS:
                began = time.perf_counter()
                entry = pair_entry(run_pipeline(config(corpus, backend, setting, base)))
                entry["recall_at_1"] = recalls[setting]
                sample = sample_entry(run_pipeline(config(None, backend, setting, base)))
                disjoint = None
                if backend in args.mix.split(","):
                    mixed = config(mix, backend, setting, base, "mix")
                    disjoint = mix_entry(run_pipeline(mixed), mix_labels)
                report["pairs"] = entry["pairs"]
                report["sample_documents"] = sample["documents"]
                report["rows"].append(
                    {
                        "backend": backend,
                        "setting": setting,
                        "pairs": entry,
                        "sample": sample,
                        "disjoint_mix": disjoint,
                    }
                )
                print(f"{backend} {setting}: {time.perf_counter() - began:.0f} s", flush=True)
                (args.out / "centring.json").write_text(json.dumps(report, indent=2) + "\n")
                (args.out / "centring.md").write_text(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()
