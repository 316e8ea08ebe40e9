#!/usr/bin/env bash
# Creates .venv-s3/ (a Python virtual environment with the pinned moto server from scripts/s3-requirements.txt)
# unless it is already there and up to date. Idempotent: when the recorded requirements and interpreter match,
# it only checks that moto.server imports and exits.
# Usage: s3-venv.sh   (prints the venv's python path on stdout; export it as FALAJ_TEST_MOTO)
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-s3
requirements=scripts/s3-requirements.txt
stamp="$venv/.falaj-requirements"
# Debian's interpreter (python3-venv provides its venv module); S3_PYTHON overrides it.
python=${S3_PYTHON:-/usr/bin/python3}
[[ -x "$python" ]] || python=$(command -v python3)

# What the venv must match: the requirements file and the interpreter it was built from.
wanted="$(sha256sum "$requirements" | cut -d' ' -f1) $("$python" -c 'import sys; print(sys.version.split()[0])')"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]] && "$venv/bin/python" -c 'import moto.server' 2>/dev/null; then
  echo "$PWD/$venv/bin/python"
  exit 0
fi

echo "Creating $venv with $python and $requirements" >&2
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$requirements" >&2
"$venv/bin/python" -c 'import moto.server' >&2
echo "$wanted" >"$stamp"
echo "$PWD/$venv/bin/python"
