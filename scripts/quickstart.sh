#!/usr/bin/env bash
# Set up the project on a fresh machine and run the default config on the shipped sample.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v uv >/dev/null 2>&1 || python3 -m pip install -q uv
uv sync --quiet
uv run topics run configs/default.yaml "$@"
