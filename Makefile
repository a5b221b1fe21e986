# learnrisk: `make demo` runs the main job on built-in defaults, `make test` runs the tests.
# Both do all set-up on a fresh machine with Python 3.11 and make (uv is installed if missing).
.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
export MLFLOW_DISABLE_TELEMETRY := true
export UV_NO_PROGRESS := 1

.PHONY: help setup demo test test-all bench lint clean

help:  ## Show this help
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-10s %s\n", $$1, $$2}'

setup: .venv/.synced  ## Create the virtual environment from uv.lock (installs uv if missing)

.venv/.synced: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check uv
	$(UV) sync --frozen --all-extras --python $(PYTHON)
	@touch $@

demo: setup  ## Main job: synthetic data -> trained, registered, promoted models -> this week's risk list
	$(UV) run --frozen learnrisk demo

test: setup  ## Check the import layers, then run the test suite (slow tests excluded; see test-all)
	$(UV) run --frozen lint-imports
	$(UV) run --frozen pytest -m "not slow" -q -n auto --maxprocesses=4 --dist loadfile

test-all: setup  ## Check the import layers, then run every test, including the slow ones
	$(UV) run --frozen lint-imports
	$(UV) run --frozen pytest -q -n auto --maxprocesses=4 --dist loadfile

lint: setup  ## Check the import layers (docs/architecture.md)
	$(UV) run --frozen lint-imports

bench: setup  ## Run the benchmarks and write benchmarks/results.md
	$(UV) run --frozen python -m benchmarks.run

clean:  ## Remove generated files (not the committed sample)
	rm -rf .venv .pytest_cache .hypothesis mlflow.db mlartifacts risk-lists demo-output
