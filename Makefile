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

## The GPU check: tiny stand-ins of every model kind through every verb on CUDA (a few
## minutes on one GPU; skipped without CUDA). Prints the fine-tuning loop's time per epoch
## beside transformers' Trainer.
gpu-check: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q -s -m gpu tests/test_gpu.py

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/snakemake --lint
