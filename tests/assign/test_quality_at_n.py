"""Quality that holds with N (issue 23): a fit on a 2,000 sample of 20,000 abstracts is within
.03 NMI of a fit on all of them.

The corpus is built at test time like ``bench/scale.py``'s (``bench/synthetic.py``): each
abstract is one of 1,440 labelled abstracts (16 CSL disciplines in Chinese, 8 arXiv archives in
English, ``tests/data/scale``) plus one or two sentences of others with its label, so the label
is the topic the document came from.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.synthetic import recombine, sentences
from tests.conftest import DATA, ROOT, make_config, read_jsonl_gz
from topics.pipeline import run_pipeline

pytestmark = pytest.mark.slow

SLICE = DATA / "scale" / "labelled_slice.jsonl.gz"


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("quality-at-n")
    sources = [
        (row["label"], row["lang"], sentences(row["abstract"])) for row in read_jsonl_gz(SLICE)
    ]
    recombine([source for source in sources if source[2]], 20_000, 23, tmp / "corpus.jsonl")
    return tmp


def _run(tmp: Path, fit_sample: str) -> dict:
    config = make_config(
        tmp,
        f"corpus.paths=[{json.dumps(str(tmp / 'corpus.jsonl'))}]",
        "corpus.fields.label=label",
        f"cluster.fit_sample={fit_sample}",
        f"run.name=fit-{fit_sample}",
        "output.report=false",
        config=ROOT / "configs" / "fast.yaml",
    )
    return run_pipeline(config).manifest


def test_a_fit_on_a_tenth_is_within_three_points_of_a_full_fit(corpus_dir: Path) -> None:
    full, sampled = _run(corpus_dir, "null"), _run(corpus_dir, "2000")
    assert full["counts"]["documents"] == sampled["counts"]["documents"] >= 19_000
    assert (full["counts"]["fitted"], sampled["counts"]["fitted"]) == (
        full["counts"]["documents"],
        2000,
    )
    assert full["metrics"]["nmi_all"] > 0.5  # measured: see the bench numbers in NOTES.md
    assert sampled["metrics"]["nmi_all"] >= full["metrics"]["nmi_all"] - 0.03
