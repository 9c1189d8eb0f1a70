"""Build ``labelled_slice.jsonl.gz``: 60 abstracts from each of 16 CSL disciplines (Chinese)
and 8 arXiv archives (English), with their label, for the quality-at-N test
(``tests/assign/test_quality_at_n.py``), which recombines them into a 20k corpus.

Run from the repository root with ``../shared/data/bench`` beside it:
``python tests/data/scale/make_labelled_slice.py``. The largest groups are taken (ties by
name), the first 60 abstracts of each in file order, so the file is reproducible.
"""

import collections
import gzip
import json
from pathlib import Path

BENCH = Path(__file__).resolve().parents[4] / "shared" / "data" / "bench"
OUT = Path(__file__).with_name("labelled_slice.jsonl.gz")
PER_GROUP = 60
TAKE = (("csl_zh.jsonl.gz", "label", 16), ("arxiv_sample_en.jsonl.gz", "label_archive", 8))


def main() -> None:
    rows = []
    for name, field, groups in TAKE:
        with gzip.open(BENCH / name, "rt", encoding="utf-8") as lines:
            records = [json.loads(line) for line in lines]
        sizes = collections.Counter(record.get(field) for record in records)
        chosen = sorted((label for label in sizes if label), key=lambda g: (-sizes[g], g))
        for label in chosen[:groups]:
            members = [record for record in records if record.get(field) == label][:PER_GROUP]
            rows += [
                {"abstract": record["abstract"], "lang": record["lang"], "label": label}
                for record in members
            ]
    with gzip.GzipFile(OUT, "wb", mtime=0) as out:
        for row in rows:
            out.write((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))
    print(f"{len(rows)} abstracts → {OUT}")


if __name__ == "__main__":
    main()
