# Two doors for a fresh machine: `make quickstart` (set up, run the main job) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup quickstart test test-all gpu-check clean

setup: $(VENV)/.installed

# The venv sees system packages so a GPU box keeps its own CUDA torch; elsewhere we
# install the CPU build pinned first, so nothing pulls a multi-GB CUDA wheel.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv --system-site-packages $(VENV)
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $@

quickstart: setup
	$(BIN)/pdejepa quickstart --out results/quickstart

test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

test-all: setup
	$(BIN)/python -m pytest -m ""

# On a machine with one CUDA GPU: the gpu tests and the throughput goals in one table, within about 8 minutes.
gpu-check: setup
	GPU_CHECK_PYTHON=$(BIN)/python bash benchmarks/gpu_check.sh

clean:
	rm -rf $(VENV) results .pytest_cache
