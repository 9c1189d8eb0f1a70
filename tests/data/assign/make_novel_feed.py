"""Build ``novel_feed.jsonl.gz`` from the arXiv bench sample (run once; the output is committed).

A run is fitted on four archives (``part: fit``, dated over twelve weeks); three later weeks
(``part: week1`` / ``week2`` / ``week3``) bring held-out documents of those archives and
documents of an archive the fit never saw (quant-ph).
Usage: ``python tests/data/assign/make_novel_feed.py``.
"""

import gzip
import json
import random
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parents[2].parent / "shared" / "data" / "bench" / "arxiv_sample_en.jsonl.gz"
KNOWN = {"math": 150, "astro-ph": 150, "cond-mat": 150, "cs": 100}
HELD_OUT, WITHHELD, NEW_PER_WEEK = 40, "quant-ph", 60


def main() -> None:
    with gzip.open(SOURCE, "rt", encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    rng = random.Random(20261206)
    rng.shuffle(rows)
    by_archive: dict[str, list[dict]] = {}
    for row in rows:
        by_archive.setdefault(row["label_archive"], []).append(row)
    out = []

    def add(row: dict, part: str, day: date) -> None:
        out.append(
            {
                "id": row["id"],
                "title": row["title"],
                "abstract": row["abstract"],
                "label": row["label_archive"],
                "date": day.isoformat(),
                "part": part,
            }
        )

    start = date(2024, 1, 1)
    for archive, size in KNOWN.items():
        pool = by_archive[archive]
        for row in pool[:size]:
            add(row, "fit", start + timedelta(days=rng.randrange(84)))
        for week in (1, 2, 3):
            first = size + (week - 1) * HELD_OUT // 4
            for row in pool[first : first + HELD_OUT // 4]:
                day = start + timedelta(days=84 + 7 * (week - 1) + rng.randrange(7))
                add(row, f"week{week}", day)
    for week in (1, 2, 3):
        for row in by_archive[WITHHELD][(week - 1) * NEW_PER_WEEK : week * NEW_PER_WEEK]:
            add(row, f"week{week}", start + timedelta(days=84 + 7 * (week - 1) + rng.randrange(7)))
    with gzip.open(HERE / "novel_feed.jsonl.gz", "wt", encoding="utf-8") as stream:
        for row in out:
            stream.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(len(out), "rows")


if __name__ == "__main__":
    main()
