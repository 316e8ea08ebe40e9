#!/usr/bin/env bash
# Runs the whole test suite: `swift test` against a throwaway Postgres that lives only for this run (and with
# FALAJ_TEST_MOTO pointing at the moto venv from scripts/s3-venv.sh, for the S3 blob store tests),
# then the browser tests (scripts/run-browser-tests.sh) against the falaj debug binary the test build made.
# Exits non-zero when either fails (with swift test's status when that failed).
set -uo pipefail
cd "$(dirname "$0")/.."

pg_dir=$(mktemp -d /tmp/falaj-test-pg.XXXXXX)
cleanup() { bash scripts/test-postgres.sh stop "$pg_dir" >/dev/null 2>&1 || true; }
trap cleanup EXIT INT TERM

if ! exports=$(bash scripts/test-postgres.sh start "$pg_dir"); then
  echo "could not start the test Postgres" >&2
  exit 1
fi
eval "$exports"
echo "test Postgres: $FALAJ_TEST_ADMIN_URL"

# The S3BlobStore tests start moto's S3-compatible server from this virtual environment (pinned in scripts/s3-requirements.txt).
if ! FALAJ_TEST_MOTO=$(bash scripts/s3-venv.sh); then
  echo "could not create the moto virtual environment (.venv-s3)" >&2
  exit 1
fi
export FALAJ_TEST_MOTO
echo "moto: $FALAJ_TEST_MOTO"

# --build-tests builds every product too, so .build/debug/falaj is current for the browser tests.
swift build --build-tests || exit 1
swift test --skip-build
swift_status=$?
cleanup  # the browser tests start their own falaj with its embedded Postgres

bash scripts/run-browser-tests.sh
browser_status=$?

echo "swift test: $([[ $swift_status -eq 0 ]] && echo passed || echo "FAILED (status $swift_status)")"
echo "browser tests: $([[ $browser_status -eq 0 ]] && echo passed || echo "FAILED (status $browser_status)")"
if [[ $swift_status -ne 0 ]]; then exit "$swift_status"; fi
exit "$browser_status"
