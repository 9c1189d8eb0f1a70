#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh Debian machine, then run it.
# Installs: Debian's chromium (browser tests drive it through Playwright; Playwright's own
# browser download cannot work offline), uv, and the project with its test, dask and e5 extras
# (the Dask engine is tested on a LocalCluster).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
command -v uv >/dev/null 2>&1 || python3 -m pip install -q uv
uv sync --extra test --extra dask --extra e5 --quiet
uv run --extra test --extra dask --extra e5 ruff check topics tests bench scripts
uv run --extra test --extra dask --extra e5 pytest "$@"
