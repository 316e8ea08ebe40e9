#!/usr/bin/env bash
# Runs the whole test suite: `swift test` against a throwaway Postgres that lives only for this run,
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
