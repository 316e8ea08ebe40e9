#!/usr/bin/env bash
# Runs the browser tests (Tests/Browser) against the falaj binary that is already built
# (FALAJ_BIN, default .build/debug/falaj), after making sure .venv-browser is ready.
# Extra arguments go to unittest, e.g. `-k smoke`. Failure captures land in /tmp/falaj-browser-failures.
set -euo pipefail
cd "$(dirname "$0")/.."

python=$(bash scripts/browser-venv.sh)
exec "$python" -m unittest discover -s Tests/Browser -v "$@"
