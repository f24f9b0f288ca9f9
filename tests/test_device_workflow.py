"""No waste, on a real Snakemake run of the tiny study: only the runs an LMC job reads write
a fine-tuned model, and a zero-shot cell runs once, not once per seed."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import paths, study
from tests.conftest import default, job_counts, snakemake, tiny_study

pytestmark = pytest.mark.workflow
REPO = Path(__file__).resolve().parents[1]
LMC_CELL = {
    "setting": "data_fraction",
    "task": "syn_sentiment",
    "fraction": 1.0,
    "method": "magnitude",
    "sparsity": 0.5,
    "seed": 0,
}


def test_only_the_lmc_end_points_write_a_fine_tuned_model(tmp_path):
    config = tiny_study(tmp_path / "results", [0.5], ["dense", "sparse"], [0], [0.5, 1.0])
    config["lmc"] = {"alphas": 3, "cells": [LMC_CELL]}
    results = Path(config["results_dir"])
    lmc = study.lmc_targets(config)
    other = results / paths.METRICS.format(
        model="m", task="syn_sentiment", difficulty="fraction-0.5", compression="magnitude-0.5",
        mode="sparse", seed=0, budget="",
    )  # fmt: skip
    # --notemp keeps the LMC end points' models (temp: deleted after the LMC job) to look at.
    run = snakemake(tmp_path, config, "--notemp", *lmc, str(other))
    assert run.returncode == 0, run.stderr[-3000:]
    written = sorted(
        p.parent.relative_to(results)
        for p in results.glob("runs/**/finetuned")
        if "done" not in p.parts  # retain's hard-linked copy (pipeline/finetune/retain.py)
    )
    ends = [Path(paths.RUN.format(**wc)) for wc in study.lmc_end_points(config)]
    assert written == sorted(ends) and len(ends) == 2
    assert other.exists() and not (other.parent / "finetuned").exists()
    assert job_counts(run.stdout + run.stderr)["finetune_keep_model"] == 2


def test_zero_shot_cells_run_once_with_the_first_seed(tmp_path):
    """The default study's zero-shot settings (languages, book): each zero-shot cell once,
    with the first seed; fine-tuned cells for every seed; the DAG and figures still plan."""

    config = default()
    config["results_dir"] = str(tmp_path / "results")
    first, *others = config["seeds"]
    cells = study.cells(config)
    zero = [c for c in cells if c.mode == "zero_shot"]
    assert zero and {c.seed for c in zero} == {first} and others
    assert {c.seed for c in cells if c.mode != "zero_shot"} == set(config["seeds"])
    assert len({(c.model, c.task, c.difficulty, c.compression) for c in zero}) == len(zero)
    run = snakemake(tmp_path, config, "-n", "all_figures")
    assert run.returncode == 0, run.stderr[-3000:]
    assert f"zero_shot/seed{first}/" in run.stdout
    assert all(f"zero_shot/seed{s}/" not in run.stdout for s in others)
