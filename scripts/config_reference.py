"""Regenerate the README's config reference from the schema (the one place keys are described).

Usage: ``uv run python scripts/config_reference.py`` — rewrites the table between the
``config-reference`` markers in README.md.
"""

from __future__ import annotations

import re
from pathlib import Path

from topics.config import explain

README = Path(__file__).resolve().parents[1] / "README.md"
START, END = "<!-- config-reference:start -->", "<!-- config-reference:end -->"


def table() -> str:
    rows = ["| key | default | meaning |", "|---|---|---|"]
    for key, default, description in explain():
        rows.append(f"| `{key}` | `{default}` | {description.replace('|', '/')} |")
    return "\n".join(rows)


def main() -> None:
    text = README.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    README.write_text(pattern.sub(f"{START}\n{table()}\n{END}", text), encoding="utf-8")


if __name__ == "__main__":
    main()
