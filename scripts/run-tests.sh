#!/usr/bin/env bash
# Runs the whole test suite against a throwaway Postgres that lives only for this run.
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

swift build --build-tests || exit 1
swift test --skip-build
