"""Bad inputs and faults as users meet them: one line, exit 2, no traceback, nothing lost.

Every case runs the real ``topics`` command in a subprocess against an output folder that
already holds a finished report of the same run name; afterwards that report must be
byte-identical and no temporary folder may be left beside it.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT, SAMPLE, assert_one_line_error, folder_digest, make_config
from tests.conftest import topics_cli as topics

# Real runs in subprocesses or on real corpora: the whole suite has them, `-m "not slow"` not.
pytestmark = pytest.mark.slow

RUN_NAME = "kept"
DEFAULT = str(ROOT / "configs" / "default.yaml")


@pytest.fixture(scope="module")
def earlier_report(session_dir: Path, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """A finished run folder that every failing command below must leave untouched."""
    from topics.pipeline import run_pipeline

    out = tmp_path_factory.mktemp("battery-out")
    config = make_config(session_dir, f"output.dir={out}", f"run.name={RUN_NAME}")
    result = run_pipeline(config)
    return out, folder_digest(result.run_dir)


# --------------------------------------------------------------------------------------------
# Inputs written for the cases (each gets its own tmp folder)


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def _good_rows(n: int = 30) -> list[dict]:
    return [
        {"id": f"d{i}", "abstract": f"Graph neural networks for molecule {i} property prediction."}
        for i in range(n)
    ]


def _truncated_gz(tmp: Path) -> Path:
    payload = gzip.compress("".join(json.dumps(r) + "\n" for r in _good_rows(400)).encode("utf-8"))
    path = tmp / "cut.jsonl.gz"
    path.write_bytes(payload[: len(payload) // 2])
    return path


def _corrupt_parquet(tmp: Path) -> Path:
    import pandas as pd

    path = tmp / "broken.parquet"
    pd.DataFrame(_good_rows(200)).to_parquet(path, row_group_size=50)
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = b"\xff" * 64
    path.write_bytes(bytes(data))
    return path


def _npy(tmp: Path, rows: int, poison: bool = False) -> Path:
    vectors = np.random.default_rng(0).normal(size=(rows, 8)).astype(np.float32)
    if poison:
        vectors[3, 2] = np.nan
    path = tmp / "vectors.npy"
    np.save(path, vectors)
    return path


def _config_file(tmp: Path, text: str | bytes) -> Path:
    path = tmp / "config.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, "utf-8")
    return path


Case = Callable[[Path], tuple[list[str], list[str]]]


def run_with(*overrides: str, config: str = DEFAULT) -> list[str]:
    args = ["run", config]
    for override in overrides:
        args += ["--set", override]
    return args


def corpus_override(path: Path | str) -> str:
    return f'corpus.paths=["{path}"]'


CASES: dict[str, Case] = {
    # Configuration
    "unknown key": lambda t: (
        ["run", str(_config_file(t, "hdbscan:\n  min_cluster_sise: 5\n"))],
        ["min_cluster_size", ":2"],
    ),
    "n_neighbors below 2": lambda t: (run_with("umap.n_neighbors=1"), ["umap.n_neighbors", "1"]),
    "min_cluster_size below 2": lambda t: (
        run_with("hdbscan.min_cluster_size=1"),
        ["hdbscan.min_cluster_size"],
    ),
    "negative seed": lambda t: (run_with("run.seed=-3"), ["run.seed", "-3"]),
    "umap metric typo": lambda t: (run_with("umap.metric=cosin"), ["umap.metric", "cosin"]),
    "hdbscan metric typo": lambda t: (
        run_with("hdbscan.metric=euclidian"),
        ["hdbscan.metric", "euclidian"],
    ),
    "unknown backend": lambda t: (run_with("embedding.backend=bert"), ["embedding.backend"]),
    "unknown format": lambda t: (run_with("corpus.format=xml"), ["corpus.format", "xml"]),
    "unknown representation": lambda t: (
        run_with("topics.representation=lda"),
        ["topics.representation", "lda"],
    ),
    "unknown outlier strategy": lambda t: (
        run_with("topics.outliers.strategy=nearest"),
        ["topics.outliers.strategy", "nearest"],
    ),
    "run name with a slash": lambda t: (run_with("run.name=a/b"), ["run.name"]),
    "yaml syntax error": lambda t: (
        ["run", str(_config_file(t, "umap:\n  n_neighbors: [5\n"))],
        ["config.yaml", "YAML"],
    ),
    "key written twice": lambda t: (
        ["run", str(_config_file(t, "run:\n  name: a\nrun:\n  name: b\n"))],
        ["config.yaml:3", "'run' appears twice", "line 1"],
    ),
    "config is a list": lambda t: (
        ["run", str(_config_file(t, "- umap\n- hdbscan\n"))],
        ["config.yaml", "mapping"],
    ),
    "config not utf-8": lambda t: (
        ["run", str(_config_file(t, "run:\n  name: caf\xe9\n".encode("latin-1")))],
        ["config.yaml", "UTF-8"],
    ),
    "config file missing": lambda t: (["run", str(t / "nope.yaml")], ["nope.yaml"]),
    "set without equals": lambda t: (run_with("umap.n_neighbors"), ["--set"]),
    "set into a value": lambda t: (run_with("run.name.x=1"), ["run.name"]),
    "combined weights mismatch": lambda t: (
        run_with(
            "embedding.backend=combined",
            'embedding.components=["use","tfidf"]',
            "embedding.weights=[1.0]",
        ),
        ["embedding.weights"],
    ),
    "lexical block on a corpus-fitted backend": lambda t: (
        run_with("embedding.backend=tfidf", "embedding.lexical=on"),
        ["embedding.lexical", "tfidf", "Got 'on'"],
    ),
    "lexical setting typo": lambda t: (
        run_with("embedding.lexical=yes please"),
        ["embedding.lexical", "yes please"],
    ),
    "precomputed without path": lambda t: (
        run_with("embedding.backend=precomputed"),
        ["embedding.path"],
    ),
    "precomputed path missing": lambda t: (
        run_with("embedding.backend=precomputed", f"embedding.path={t / 'missing.npy'}"),
        ["missing.npy"],
    ),
    "translations dedup without use": lambda t: (
        run_with("embedding.backend=static", "corpus.dedup=translations"),
        ["corpus.dedup"],
    ),
    "output dir is a file": lambda t: (
        run_with(f"output.dir={_blocker(t)}"),
        ["output.dir"],
    ),
    "cache dir is a file": lambda t: (
        run_with(f"cache.dir={_blocker(t)}"),
        ["cache.dir"],
    ),
    # Inputs
    "corpus path missing": lambda t: (
        run_with(corpus_override(t / "nothing-here.jsonl")),
        ["nothing-here.jsonl"],
    ),
    "empty corpus file": lambda t: (
        run_with(corpus_override(_touch(t / "empty.jsonl"))),
        ["empty.jsonl"],
    ),
    "folder without readable files": lambda t: (
        run_with(corpus_override(_folder_with(t, "notes.md"))),
        ["folder"],
    ),
    "broken jsonl line": lambda t: (
        run_with(corpus_override(_text(t / "broken.jsonl", '{"abstract": "fine text"}\n{oops\n'))),
        ["broken.jsonl:2"],
    ),
    "jsonl line not an object": lambda t: (
        run_with(corpus_override(_text(t / "list.jsonl", '["a", "b"]\n'))),
        ["list.jsonl:1"],
    ),
    "truncated jsonl.gz": lambda t: (
        run_with(corpus_override(_truncated_gz(t))),
        ["cut.jsonl.gz"],
    ),
    "binary file named jsonl": lambda t: (
        run_with(corpus_override(_bytes(t / "image.jsonl", b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe"))),
        ["image.jsonl"],
    ),
    "corrupt parquet": lambda t: (
        run_with(corpus_override(_corrupt_parquet(t))),
        ["broken.parquet"],
    ),
    "csv without text column": lambda t: (
        run_with(corpus_override(_text(t / "table.csv", "id,title\n1,Graphs\n2,Trees\n"))),
        ["table.csv", "abstract"],
    ),
    "seed file not utf-8": lambda t: (
        run_with(corpus_override(_bytes(t / "feed.txt", "Résumé des graphes".encode("utf-16")))),
        ["feed.txt"],
    ),
    "every text too short": lambda t: (
        run_with(corpus_override(_jsonl(t / "short.jsonl", [{"abstract": "tiny"}] * 5))),
        ["short.jsonl"],
    ),
    "precomputed rows mismatch": lambda t: (
        run_with(
            corpus_override(SAMPLE),
            "embedding.backend=precomputed",
            f"embedding.path={_npy(t, rows=7)}",
        ),
        ["vectors.npy"],
    ),
    "soft-clustering outliers on a fitted sample": lambda t: (
        run_with(
            corpus_override(_jsonl(t / "docs.jsonl", _good_rows(150))),
            "cluster.fit_sample=100",
            "topics.outliers.strategy=probabilities",
        ),
        ["topics.outliers.strategy", "cluster.fit_sample"],
    ),
    "precomputed with NaN": lambda t: (
        run_with(
            corpus_override(_jsonl(t / "docs.jsonl", _good_rows(30))),
            "embedding.backend=precomputed",
            f"embedding.path={_npy(t, rows=30, poison=True)}",
        ),
        ["vectors.npy"],
    ),
}


def _blocker(tmp: Path) -> Path:
    """A regular file where a folder has to be created (``blocker/sub`` cannot exist)."""
    path = tmp / "blocker"
    path.write_text("not a folder", "utf-8")
    return path / "sub"


def _touch(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def _text(path: Path, text: str) -> Path:
    path.write_text(text, "utf-8")
    return path


def _bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _folder_with(tmp: Path, name: str) -> Path:
    folder = tmp / "folder"
    folder.mkdir()
    (folder / name).write_text("# not abstracts\n", "utf-8")
    return folder


def test_the_battery_is_large_enough() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_one_line_and_keeps_the_report(
    name: str, tmp_path: Path, earlier_report: tuple[Path, dict[str, str]], session_dir: Path
) -> None:
    out, before = earlier_report
    args, fragments = CASES[name](tmp_path)
    # Every run targets the folder that holds the earlier report, under the same run name,
    # unless the case is about the output folder itself.
    extra = [f"run.name={RUN_NAME}", f"output.dir={out}", f"cache.dir={session_dir / 'cache'}"]
    for override in extra:
        key = override.split("=", 1)[0] + "="
        if args[0] == "run" and not any(a.startswith(key) for a in args):
            args = [*args, "--set", override]
    assert_one_line_error(topics(*args), *fragments)
    assert folder_digest(out / RUN_NAME) == before, f"{name}: the earlier report changed"
    assert sorted(p.name for p in out.iterdir()) == [RUN_NAME], f"{name}: stray folders left"


def test_a_full_paper_in_the_abstract_field_is_cut_and_does_not_stall_the_run(
    tmp_path: Path, session_dir: Path
) -> None:
    """The sample plus one 5 MB abstract (a PDF's text pasted in) ran past ten minutes inside
    the phrase search; now the text is cut to corpus.max_chars, the run says so in one
    warning, and it takes about as long as the sample alone (a ratio measured here)."""
    import shutil
    import time

    import pandas as pd

    from topics.pipeline import run_pipeline

    corpus = tmp_path / "corpus"
    shutil.copytree(SAMPLE, corpus)
    paper = " ".join(
        f"Section {i}: we study graph neural networks for molecule property prediction and "
        "report results on benchmark datasets with ablations."
        for i in range(45_000)
    )
    assert len(paper) > 5_000_000
    _jsonl(corpus / "paper.jsonl", [{"id": "pasted-paper", "abstract": paper}])

    def timed(*overrides: str):  # noqa: ANN202
        config = make_config(session_dir, *overrides, config=ROOT / "configs" / "fast.yaml")
        began = time.perf_counter()
        result = run_pipeline(config)
        return result, time.perf_counter() - began

    _, alone = timed(f"output.dir={tmp_path / 'a'}")
    result, with_paper = timed(f"output.dir={tmp_path / 'b'}", corpus_override(corpus))
    documents = pd.read_parquet(result.run_dir / "documents.parquet")
    cut = documents.loc[documents["id"] == "pasted-paper", "text"].iloc[0]
    assert 19_000 < len(cut) <= 20_000 and paper.startswith(cut)
    warnings = [w for w in result.manifest["warnings"] if "corpus.max_chars" in w]
    assert len(warnings) == 1 and "1 document(s)" in warnings[0], result.manifest["warnings"]
    assert "paper.jsonl:1" in warnings[0]
    assert with_paper < 5 * alone + 30, (alone, with_paper)
