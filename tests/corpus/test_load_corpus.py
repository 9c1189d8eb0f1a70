"""``load_corpus``: path expansion, cleaning, de-duplication, ids, limits and errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from topics.config import CorpusSection
from topics.corpus import expand_paths, load_corpus, unique_ids
from topics.errors import InputError

DATA = Path(__file__).parents[1] / "data" / "corpus"
SEEDS = DATA / "seeds"
TEXT = "Graph neural networks pass messages between the nodes of a graph, number {}."


def _section(*paths: Path | str, **options: object) -> CorpusSection:
    return CorpusSection(paths=[str(p) for p in paths], **options)


def _jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def test_seed_fixture_counts_duplicates_and_languages() -> None:
    corpus = load_corpus(_section(SEEDS))

    # Two real seed files, 10 abstracts each, 4 abstracts in both (checked by hand).
    assert corpus.documents_read == 20
    assert corpus.duplicates_dropped == 4
    assert len(corpus) == 16
    assert len(set(corpus.texts)) == 16
    assert corpus.langs.count("zh") == 9 and corpus.langs.count("en") == 7
    assert corpus.ids[:2] == ["000_5577003dcb3ec7a1:1", "000_5577003dcb3ec7a1:2"]
    # The first file is read first (sorted), so its copies are the ones kept.
    assert [i for i in corpus.ids if i.startswith("004")] == [
        f"004_ea0dbba466a8141e:{n}" for n in (4, 5, 6, 7, 9, 10)
    ]
    assert corpus.dates is None and corpus.labels is None
    assert corpus.titles == [None] * 16
    assert corpus.sources[10] == f"{SEEDS / '004_ea0dbba466a8141e.txt'}:7"
    assert corpus.duplicate_of is None


def test_directory_expansion_is_recursive_sorted_and_skips_other_files(tmp_path: Path) -> None:
    _jsonl(tmp_path / "b" / "two.jsonl", [{"abstract": TEXT.format(2)}])
    _jsonl(tmp_path / "a.jsonl", [{"abstract": TEXT.format(1)}])
    _jsonl(tmp_path / ".hidden" / "x.jsonl", [{"abstract": TEXT.format(9)}])
    (tmp_path / "notes.md").write_text("not a corpus", "utf-8")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")

    corpus = load_corpus(_section(tmp_path))

    assert corpus.texts == [TEXT.format(1), TEXT.format(2)]
    assert corpus.ids == ["a:1", "two:1"]


def test_globs_expand_recursively_and_files_are_read_once(tmp_path: Path) -> None:
    first = _jsonl(tmp_path / "x" / "one.jsonl", [{"abstract": TEXT.format(1)}])
    _jsonl(tmp_path / "x" / "y" / "two.jsonl", [{"abstract": TEXT.format(2)}])
    _jsonl(tmp_path / "x" / "y" / "skip.ndjson", [{"abstract": TEXT.format(3)}])

    corpus = load_corpus(_section(tmp_path / "x" / "**" / "*.jsonl", first))

    assert corpus.texts == [TEXT.format(1), TEXT.format(2)]
    assert corpus.documents_read == 2


def test_mixed_formats_in_one_directory(tmp_path: Path) -> None:
    shutil.copy(SEEDS / "000_5577003dcb3ec7a1.txt", tmp_path / "seed.txt")
    (tmp_path / "more.csv").write_text(f'abstract,label\n"{TEXT.format(1)}",x\n', "utf-8")

    corpus = load_corpus(_section(tmp_path))

    assert len(corpus) == 11
    assert corpus.labels == ["x"] + [None] * 10  # "more.csv" sorts before "seed.txt"


def test_explicit_format_reads_any_named_file(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "export.json", [{"abstract": TEXT.format(1)}])

    with pytest.raises(InputError, match=r"export\.json' is not a supported file type"):
        load_corpus(_section(path))
    assert load_corpus(_section(path, format="jsonl")).texts == [TEXT.format(1)]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("missing.jsonl", r"corpus\.paths: '.*missing\.jsonl' does not exist\."),
        ("nothing-*.jsonl", r"'.*nothing-\*\.jsonl' matches no readable files"),
        ("empty-dir", r"'.*empty-dir' matches no readable files \(looked for \.txt \(seed\)"),
    ],
)
def test_paths_that_match_nothing_are_named(tmp_path: Path, entry: str, message: str) -> None:
    (tmp_path / "empty-dir").mkdir()
    (tmp_path / "empty-dir" / "readme.md").write_text("x", "utf-8")

    with pytest.raises(InputError, match=message):
        load_corpus(_section(tmp_path / entry))


def test_empty_corpus_names_the_paths(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "short.jsonl", [{"abstract": "tiny"}, {"abstract": "  "}])

    with pytest.raises(
        InputError,
        match=r"no documents found in .*short\.jsonl \(2 records read: 1 with an empty text "
        r"field 'abstract', 1 shorter than corpus\.min_chars=20\)\.$",
    ):
        load_corpus(_section(path))


def test_text_field_empty_on_every_row_is_named(tmp_path: Path) -> None:
    rows = [{"abstract": None, "summary": TEXT.format(n)} for n in range(3)]
    path = _jsonl(tmp_path / "null.jsonl", rows)

    with pytest.raises(InputError, match=r"3 records read: 3 with an empty text field 'abstract'"):
        load_corpus(_section(path))


def test_listing_order_changes_neither_kept_copies_nor_ids(tmp_path: Path) -> None:
    # b.jsonl and a.jsonl share two texts and an id; whichever is listed first, the copies from
    # a.jsonl (the name that sorts first) are kept and a.jsonl's "x" stays unsuffixed.
    a = _jsonl(tmp_path / "a.jsonl", [{"id": "x", "abstract": TEXT.format(n)} for n in (1, 2)])
    b = _jsonl(
        tmp_path / "b.jsonl",
        [{"id": "x", "abstract": TEXT.format(n)} for n in (2, 3, 1)],
    )

    forward = load_corpus(_section(a, b))
    backward = load_corpus(_section(b, a))

    assert forward.ids == ["x", "x#2", "x#3"]
    assert forward.sources == [f"{a}:1", f"{a}:2", f"{b}:2"]
    assert dict(zip(backward.texts, backward.ids, strict=True)) == dict(
        zip(forward.texts, forward.ids, strict=True)
    )
    # Each corpus stays in its own reading order: b's kept text first when b is listed first.
    assert backward.texts == [TEXT.format(3), TEXT.format(1), TEXT.format(2)]
    assert backward.sources == [f"{b}:2", f"{a}:1", f"{a}:2"]
    assert (backward.documents_read, backward.duplicates_dropped) == (5, 2)


def test_canonical_order_ignores_reading_order_and_can_be_undone(tmp_path: Path) -> None:
    a = _jsonl(tmp_path / "a.jsonl", [{"abstract": TEXT.format(n)} for n in range(4)])
    b = _jsonl(tmp_path / "b.jsonl", [{"abstract": TEXT.format(n)} for n in range(4, 9)])
    forward, backward = load_corpus(_section(a, b)), load_corpus(_section(b, a))

    assert forward.canonical().texts == backward.canonical().texts
    assert forward.canonical().ids == backward.canonical().ids
    canonical = backward.canonical()
    assert canonical.texts != backward.texts  # the test means something only if it reorders
    assert canonical.subset(canonical.reading_order()).texts == backward.texts
    # A subset (documents dropped as translations) still goes back to reading order.
    part = canonical.subset([0, 2, 5])
    assert part.subset(part.reading_order()).texts == [
        t for t in backward.texts if t in set(part.texts)
    ]


def test_cleaning_min_chars_dedup_and_optional_fields(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path / "c.jsonl",
        [
            {"id": "a", "abstract": f"  {TEXT.format(1)}\u3000\n", "title": " T\u00a0one "},
            {"id": "b", "abstract": TEXT.format(1).replace(" ", "  ")},  # same once cleaned
            {"id": "c", "abstract": "too short", "date": "2001"},
            {"id": "d", "abstract": TEXT.format(2), "date": "2002"},
        ],
    )

    corpus = load_corpus(_section(path, min_chars=20))

    assert corpus.ids == ["a", "d"]
    assert corpus.texts == [TEXT.format(1), TEXT.format(2)]
    assert corpus.titles == ["T one", None]
    assert corpus.dates == [None, "2002"]
    assert corpus.labels is None
    assert (corpus.documents_read, corpus.duplicates_dropped) == (4, 1)
    assert corpus.sources == [f"{path}:1", f"{path}:4"]


def test_repeated_ids_get_suffixes(tmp_path: Path) -> None:
    rows = [{"id": doc_id, "abstract": TEXT.format(n)} for n, doc_id in enumerate("xxyx")]
    rows.append({"id": "x#2", "abstract": TEXT.format(9)})

    corpus = load_corpus(_section(_jsonl(tmp_path / "ids.jsonl", rows)))

    assert corpus.ids == ["x", "x#3", "y", "x#4", "x#2"]
    assert unique_ids(["a", "a", "a#2", "b"]) == ["a", "a#3", "a#2", "b"]


def test_limit_keeps_the_first_documents_after_dedup(tmp_path: Path) -> None:
    rows = [{"abstract": TEXT.format(n // 2)} for n in range(20)]  # every text twice

    corpus = load_corpus(_section(_jsonl(tmp_path / "l.jsonl", rows), limit=3))

    assert corpus.texts == [TEXT.format(0), TEXT.format(1), TEXT.format(2)]
    assert corpus.duplicates_dropped == 2  # reading stopped at the third kept document


@pytest.mark.parametrize("processes", [1, 2])
def test_reading_stops_at_the_limit_before_a_bad_line(
    tmp_path: Path, processes: int, monkeypatch
) -> None:
    import topics.corpus.load as load

    monkeypatch.setattr(load, "CLEAN_CHUNK", 2)  # the pool starts after the first two records
    lines = [json.dumps({"abstract": TEXT.format(n)}) for n in range(5)] + ["{not json"]
    (tmp_path / "l.jsonl").write_text("\n".join(lines) + "\n", "utf-8")

    corpus = load_corpus(_section(tmp_path / "l.jsonl", limit=5), processes=processes)

    assert len(corpus) == 5 and corpus.documents_read == 5
    with pytest.raises(InputError, match="l.jsonl:6: not valid JSON"):
        load_corpus(_section(tmp_path / "l.jsonl"), processes=processes)


def test_hostile_fixture_survives_loading() -> None:
    corpus = load_corpus(_section(DATA / "hostile.jsonl"))

    assert len(corpus) == 12
    assert corpus.labels == ["gnn"] * 4 + ["seg"] * 4 + ["rl"] * 4
    assert sorted(set(corpus.langs)) == ["en", "zh"]
    assert "<script>window.__pwned=1</script>" in corpus.texts[0]
    assert corpus.titles[2].startswith('=HYPERLINK("http://x"')
    # Invisible bidi overrides, NUL, U+2028 and lone surrogates are gone; emoji ZWJ stays.
    joined = "".join(corpus.texts + [t or "" for t in corpus.titles])
    assert not {"\u202e", "\u202c", "\x00", "\u2028", "\ud800"} & set(joined)
    assert "👩\u200d🔬" in corpus.texts[9]
    joined.encode("utf-8")  # would raise on a surviving lone surrogate


def test_expand_paths_reports_formats() -> None:
    pairs = expand_paths([str(SEEDS), str(DATA / "hostile.jsonl")])

    assert [(p.name, f) for p, f in pairs] == [
        ("000_5577003dcb3ec7a1.txt", "seed"),
        ("004_ea0dbba466a8141e.txt", "seed"),
        ("hostile.jsonl", "jsonl"),
    ]


def test_importing_the_package_does_not_import_pandas_or_pyarrow() -> None:
    import subprocess
    import sys

    code = (
        "import sys, topics.corpus; "
        "print(sorted(m for m in ('pandas', 'pyarrow') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_readers_are_registered_by_format_name() -> None:
    from topics.corpus import readers as corpus_readers
    from topics.registry import readers

    assert {"seed", "jsonl", "csv", "parquet"} <= set(readers.names())
    assert readers.get("jsonl") is corpus_readers.read_jsonl
    assert readers.get("seed") is corpus_readers.read_seed


def test_worker_processes_load_the_same_corpus(tmp_path: Path, monkeypatch) -> None:
    """Cleaning, hashing and tagging in forked workers (chunks of 40 here) changes nothing:
    counts, cuts, which duplicate copy is kept, languages, ids, sources."""
    import topics.corpus.load as load

    monkeypatch.setattr(load, "CLEAN_CHUNK", 40)
    samples = [json.loads(line)["text"] for line in (DATA / "language_samples.jsonl").open()]
    rows = []
    for number in range(700):
        kind = number % 7
        text = {
            0: TEXT.format(number),
            1: samples[number % len(samples)] + f" ({number // 50})",  # repeats: duplicates
            2: "",
            3: "short",
            4: ("深度学习模型。" * 80) + str(number),  # cut at max_chars
            5: f"  Spaces\u3000and\u202e controls\x1f {number}  ",
            6: TEXT.format(number % 30),  # duplicates of kind 0
        }[kind]
        rows.append({"id": f"r{number % 90}", "abstract": text, "label": f"g{kind}"})
    _jsonl(tmp_path / "b.jsonl", rows[:400])
    _jsonl(tmp_path / "a.jsonl", rows[350:])
    # b is read first, but a's name sorts first: its copies of the overlap replace b's.
    section = _section(
        tmp_path / "b.jsonl",
        tmp_path / "a.jsonl",
        min_chars=10,
        max_chars=300,
        fields={"label": "label"},
    )
    pools: list[bool] = []
    close = load._Reading.close
    monkeypatch.setattr(
        load._Reading, "close", lambda self: (pools.append(bool(self.pool)), close(self))
    )
    one, forked = load_corpus(section, processes=1), load_corpus(section, processes=2)
    assert pools == [False, True]  # the second load did use worker processes
    assert (one.documents_read, one.duplicates_dropped) == (750, forked.duplicates_dropped)
    assert forked.documents_read == 750 and one.duplicates_dropped > 100
    assert one.cut == forked.cut and one.cut is not None
    for field in ("ids", "texts", "titles", "langs", "sources", "labels", "text_hashes"):
        assert list(getattr(one, field)) == list(getattr(forked, field)), field
    assert {"zh", "en"} <= set(one.langs)
    overlap = one.texts.index(TEXT.format(357))  # in both files: a's line 8 is kept
    assert one.sources[overlap] == f"{tmp_path / 'a.jsonl'}:8"
