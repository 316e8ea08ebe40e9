#!/usr/bin/env bash
# Creates .venv-browser/ (a Python virtual environment with the pinned Selenium from
# Tests/Browser/requirements.txt) unless it is already there and up to date. Idempotent: when the
# recorded requirements and interpreter match, it only checks that Selenium imports and exits.
# Usage: browser-venv.sh   (prints the venv's python path on stdout)
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-browser
requirements=Tests/Browser/requirements.txt
stamp="$venv/.falaj-requirements"
# Debian's interpreter (python3-venv provides its venv module); BROWSER_PYTHON overrides it.
python=${BROWSER_PYTHON:-/usr/bin/python3}
[[ -x "$python" ]] || python=$(command -v python3)

# What the venv must match: the requirements file and the interpreter it was built from.
wanted="$(sha256sum "$requirements" | cut -d' ' -f1) $("$python" -c 'import sys; print(sys.version.split()[0])')"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]] && "$venv/bin/python" -c 'import selenium' 2>/dev/null; then
  echo "$PWD/$venv/bin/python"
  exit 0
fi

echo "Creating $venv with $python and $requirements" >&2
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$requirements" >&2
echo "$wanted" >"$stamp"
echo "$PWD/$venv/bin/python"
