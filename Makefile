# Quickstart: `make demo` (the Arborist TUI on a bundled recording) and `make test` (the whole suite).
# Both create .venv from nothing on a machine with Python 3.11 and make.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
SOURCES := grove tests benchmarks scripts

.PHONY: demo test check lint typecheck contracts unit bench replays dist clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/kubectl-grove tui --replay replays/disagg-fragmented.jsonl

test: $(STAMP) lint typecheck contracts unit

lint: $(STAMP)
	$(BIN)/ruff check $(SOURCES)
	$(BIN)/ruff format --check $(SOURCES)

typecheck: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_startup.py
	$(BIN)/python benchmarks/bench_fold.py
	$(BIN)/python benchmarks/bench_live.py
	$(BIN)/python benchmarks/bench_reports.py
	$(BIN)/python benchmarks/bench_tui.py
	$(BIN)/python benchmarks/bench_replay.py
	$(BIN)/python benchmarks/bench_diagnostics.py

replays: $(STAMP)
	$(BIN)/python scripts/make_replays.py

# The wheel, the krew archives (linux/amd64 and linux/arm64, wheels for CPython 3.11-3.14 fetched from PyPI) and
# dist/krew/grove.yaml. One platform: make dist DIST_ARGS='--platform linux-arm64'; no network: DIST_ARGS=--offline.
dist: $(STAMP)
	$(BIN)/python scripts/build_dist.py $(DIST_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build dist
