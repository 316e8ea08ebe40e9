# Falaj: the two set-up commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := run

.PHONY: run test test-browser bench deps build clean

## Installs missing system packages (Debian 12; as root or with sudo).
deps:
	@bash scripts/install-deps.sh

## Builds in release mode and starts `falaj serve` on an embedded Postgres under ./.falaj.
## Extra flags go in ARGS, e.g. `make run ARGS="--port 9090"`.
run: deps
	swift build -c release --product falaj
	./.build/release/falaj serve --local-agent $(ARGS)

## Starts a throwaway Postgres, runs `swift test`, stops it, then runs the browser tests; non-zero on any failure.
test: deps
	@bash scripts/run-tests.sh

## Builds the falaj debug binary and runs only the browser tests (Tests/Browser, headless Chromium).
## Extra unittest arguments go in ARGS, e.g. `make test-browser ARGS="-k smoke"`.
test-browser: deps
	swift build --product falaj
	@bash scripts/run-browser-tests.sh $(ARGS)

## Release build + wrk against the Hummingbird comparison server, then job dispatch with simulated agents, then dataset
## ingestion (a streamed 1,000,000-row CSV upload), then the feature store (online reads, a 1,000,000-row point-in-time
## training set), then the built-in trainers against scikit-learn, then model serving (gateway vs straight to a replica);
## see BENCHMARKS.md.
bench: deps
	@bash scripts/install-deps.sh bench
	@bash bench/run
	@bash bench/dispatch
	@bash bench/ingest
	@bash bench/features
	@bash bench/trainers
	@bash bench/serving

build: deps
	swift build

clean:
	rm -rf .build .falaj
