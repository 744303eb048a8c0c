# Two commands do all set-up on a fresh machine:
#   make demo   - create .venv, install ClusterLab, run the default experiment into results/demo
#   make test   - create .venv, install ClusterLab with test tools, run lint and the test suite
#   make bench  - benchmarks; rewrites docs/performance.md and docs/performance.png (~10 min)
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Test processes (pytest-xdist; a test module stays on one process, so its module-scoped
# runs are made once). TEST_WORKERS=0 runs the suite in this process.
TEST_WORKERS ?= 2
XDIST := -n $(TEST_WORKERS) --dist loadscope

.PHONY: demo test test-other-cpu test-no-numba test-mesa-latest lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/clusterlab demo --out results/demo

lint: $(STAMP)
	$(BIN)/ruff check clusterlab model experiments tests benchmarks docs
	$(BIN)/ruff format --check clusterlab model experiments tests benchmarks docs
	$(BIN)/python .ci/lint_imports.py

test: $(STAMP) lint
	$(BIN)/python -m pytest $(XDIST)

# The model tests as a CPU without AVX2 and FMA computes them (docs/reproducibility.md):
# numpy's baseline loops (every SIMD dispatch target off), OpenBLAS's SSE4.2 kernel, and
# kernels compiled for a plain x86-64.
test-other-cpu: $(STAMP)
	@if [ "$$(uname -m)" != x86_64 ]; then echo "test-other-cpu: x86-64 only, skipped"; exit 0; fi; \
	cache=$$(mktemp -d); \
	NPY_DISABLE_CPU_FEATURES="X86_V3 X86_V4 AVX512_ICL AVX512_SPR" OPENBLAS_CORETYPE=Nehalem \
	NUMBA_CPU_NAME=generic \
	NUMBA_CACHE_DIR=$$cache $(BIN)/python -m pytest tests/model $(XDIST) -p no:cacheprovider; \
	status=$$?; rm -rf $$cache; exit $$status

# The model tests without numba (docs/reproducibility.md, "Kernel backends"): .ci/no-numba
# makes `import numba` fail, so the numpy reference kernels run, as on an install
# without the "fast" extra. Tests of the numba twins and of its stored outputs skip.
test-no-numba: $(STAMP)
	PYTHONPATH=$(CURDIR)/.ci/no-numba $(BIN)/python -m pytest tests/model -p no:cacheprovider

# The model tests and the app's (browser included) on the newest Mesa 3.x and a Python >= 3.12
# (Mesa 3.4 on needs one; .ci/find-python312 finds it, PYTHON_LATEST=... chooses it), in a
# second venv without numba: the "fast" extra is not installed, so the numpy reference
# kernels run (this pass also stands for test-no-numba in CI). Skipped, saying so, where no
# Python >= 3.12 exists.
LATEST := .venv-latest
# the app's tests but the long classroom exercise (2-3 min; `make test` runs it)
LATEST_APP_TESTS := $(filter-out %/test_app_exercise.py,$(wildcard tests/experiments/test_app*.py))
test-mesa-latest:
	@py=$$(.ci/find-python312); \
	if [ -z "$$py" ]; then \
		echo "test-mesa-latest: skipped, no Python >= 3.12 found (set PYTHON_LATEST=/path/to/python3.12)"; \
		exit 0; \
	fi; \
	set -e; \
	test -x $(LATEST)/bin/python || "$$py" -m venv $(LATEST); \
	$(LATEST)/bin/python -m pip install --quiet --upgrade pip; \
	$(LATEST)/bin/python -m pip install --quiet --upgrade -e ".[test,app]" "mesa>=3.3.1,<4"; \
	if $(LATEST)/bin/python -c "import numba" 2>/dev/null; then \
		echo "test-mesa-latest: numba is installed in $(LATEST); this pass must run without it"; \
		exit 1; \
	fi; \
	$(LATEST)/bin/python -c "import mesa, sys; print('test-mesa-latest: Mesa', mesa.__version__, 'on Python', sys.version.split()[0], '(no numba)')"; \
	$(LATEST)/bin/python -m pytest tests/model $(LATEST_APP_TESTS) $(XDIST) -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_simulate.py
	$(BIN)/python benchmarks/bench_performance.py --out docs/performance.md

clean:
	rm -rf $(VENV) $(LATEST) .pytest_cache .ruff_cache
