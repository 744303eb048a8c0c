# Two commands do all set-up on a fresh machine:
#   make demo   - create .venv, install ClusterLab, run the default experiment into results/demo
#   make test   - create .venv, install ClusterLab with test tools, run lint and the test suite
#   make bench  - benchmarks; rewrites docs/performance.md and docs/performance.png (~10 min)
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/clusterlab demo --out results/demo

lint: $(STAMP)
	$(BIN)/ruff check model experiments tests benchmarks docs
	$(BIN)/ruff format --check model experiments tests benchmarks docs
	$(BIN)/lint-imports

test: $(STAMP) lint
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_simulate.py
	$(BIN)/python benchmarks/bench_performance.py --out docs/performance.md

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
