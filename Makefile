# The two commands of the README. Both create .venv from the project's own requirements.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
CORES ?= 2

.PHONY: setup study quick test lint gpu-check

$(BIN)/snakemake: requirements.txt requirements-dev.txt pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

setup: $(BIN)/snakemake

## Run the embedded default study end to end (figures + results table at the end).
## After a kill: the locks it left are removed (pipeline/locks.py) and profiles/default
## reruns its incomplete outputs, so the same command resumes. ARGS: more snakemake options.
study: setup
	$(BIN)/python -m pipeline.locks
	PATH="$(CURDIR)/$(BIN):$$PATH" HF_HUB_OFFLINE=1 $(BIN)/snakemake --cores $(CORES) all_figures $(ARGS)

## A quick look: the default study shrunk to minutes (configs/quick.yaml overlays
## config.yaml), every setting, figure and the verdict, in results/quick; its verdict says
## it is too small to decide anything.
quick: setup
	$(BIN)/python -m pipeline.locks
	PATH="$(CURDIR)/$(BIN):$$PATH" HF_HUB_OFFLINE=1 $(BIN)/snakemake --cores $(CORES) all_figures --configfile configs/quick.yaml $(ARGS)

## Run the test suite (unit, integration on tiny models, real snakemake workflow runs).
test: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q tests

## The GPU check (pipeline/cluster/gpucheck.py, under 5 minutes on one H100): every transfer mode in
## fp16 and bf16, a SIGTERM checkpoint and resume, sharded .bin onto the GPU, Wanda and
## SparseGPT and one block of every model at real width; writes measured rates for
## slurm/throughput.yaml to results/gpu-check/. FAILS without a usable GPU. No install step:
## it runs on this project's .venv if there is one, else on the machine's own python3.
## The tiny-model GPU/CPU comparison of every verb: pytest -m gpu tests/test_gpu.py.
GPU_PY ?= $(if $(wildcard $(BIN)/python),$(BIN)/python,$(PY))
gpu-check:
	HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false PYTHONPATH="$(CURDIR)" $(GPU_PY) -m pipeline.cluster.gpucheck $(ARGS)

## ruff, the import layers (the import-linter contract in pyproject.toml) and snakemake --lint.
lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/lint-imports && $(BIN)/snakemake --lint
