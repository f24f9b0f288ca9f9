"""Real snakemake runs of a tiny study: the DAG, caching and single-cell reruns."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.conftest import job_counts, snakemake, tiny_study

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.workflow


# The jobs after any new run of the tiny study: the tables, the difficulty gates, Fig. 1,
# safe sparsity (table + figure), the verdict and its forest plot.
AGGREGATES = {
    "collect": 1,
    "gates": 1,
    "normalize": 1,
    "figure": 3,
    "safe_sparsity": 1,
    "summarize": 1,
    "verdict": 1,
    "all_figures": 1,
}


def tiny_config(results: Path, sparsities: list[float]) -> dict:
    config = tiny_study(results, sparsities, ["dense", "sparse"], [0], [0.5, 1.0])
    return {
        **config,
        "lmc": {
            "alphas": 3,
            "cells": [
                {
                    "setting": "data_fraction",
                    "task": "syn_sentiment",
                    "fraction": 1.0,
                    "method": "magnitude",
                    "sparsity": 0.6,
                    "seed": 0,
                }
            ],
        },
    }


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("study")
    config = tiny_config(workdir / "results", [0.3, 0.6])
    run = snakemake(workdir, config, "all_figures")
    assert run.returncode == 0, run.stderr[-3000:]
    return workdir, config


def test_full_run_writes_tables_and_figures(finished):
    workdir, config = finished
    results = Path(config["results_dir"])
    table = pq.read_table(results / "tables/results.parquet").to_pandas()
    # 2 fractions x (dense + 2 sparsities x sparse) x 1 seed
    assert len(table) == 6
    assert set(table["compression"]) == {"dense", "magnitude-0.3", "magnitude-0.6"}
    sparse = table[table["mode"] == "sparse"]
    assert (sparse["achieved_sparsity"] >= sparse["level"].astype(float) - 1e-6).all()
    normalized = pq.read_table(results / "tables/normalized.parquet").to_pandas()
    row = normalized[
        (normalized["compression"] == "magnitude-0.6") & (normalized["difficulty"] == "fraction-1")
    ].iloc[0]
    dense = table[(table["compression"] == "dense") & (table["difficulty"] == "fraction-1")]
    assert row["normalized"] == pytest.approx(row["value"] / dense["value"].iloc[0])
    for figure in ("fig1_data_fraction", "fig10_lmc"):
        assert (results / f"figures/{figure}.png").stat().st_size > 10_000
    lmc = pq.read_table(results / "tables/lmc.parquet").to_pandas()
    assert list(lmc["alpha"]) == [0.0, 0.5, 1.0]


def test_second_run_does_nothing(finished):
    workdir, config = finished
    run = snakemake(workdir, config, "all_figures", "-n")
    assert run.returncode == 0
    assert "Nothing to be done" in run.stdout + run.stderr


def test_dry_run_prints_the_dag_without_running(tmp_path):
    config = tiny_config(tmp_path / "results", [0.3, 0.6])
    run = snakemake(tmp_path, config, "all_figures", "-n")
    assert run.returncode == 0, run.stderr[-2000:]
    counts = job_counts(run.stdout)
    # 6 runs: the 2 LMC end points keep their model (finetune_keep_model), 4 do not
    assert counts["finetune"] == 4 and counts["finetune_keep_model"] == 2
    assert counts["prune"] == 2 and counts["stage_model"] == 1
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("deleted", [True, False])
def test_requesting_one_cell_reruns_only_that_cell_and_the_aggregates(finished, deleted):
    workdir, config = finished
    results = Path(config["results_dir"])
    metrics = results / "runs/m/syn_sentiment/fraction-0.5/magnitude-0.3/sparse/seed0/metrics.json"
    saved = metrics.read_bytes()
    if deleted:
        metrics.unlink()
    try:
        force = [] if deleted else ["--forcerun", str(metrics)]
        run = snakemake(workdir, config, str(metrics), "all_figures", "-n", *force)
        counts = job_counts(run.stdout)
        # the aggregates rerun too
        assert counts == {"finetune": 1, **AGGREGATES}, counts
        assert "fraction-0.5/magnitude-0.3/sparse/seed0" in run.stdout
    finally:
        metrics.write_bytes(saved)


def test_adding_a_sparsity_schedules_only_new_cells_and_aggregates(finished):
    workdir, config = finished
    bigger = tiny_config(Path(config["results_dir"]), [0.3, 0.6, 0.8])
    run = snakemake(workdir, bigger, "all_figures", "-n")
    counts = job_counts(run.stdout)
    # one new mask, one new sparse cell per fraction; then the aggregates
    assert counts == {"prune": 1, "finetune": 2, **AGGREGATES}, counts
    snakemake(workdir, config, "-n")  # restore the on-disk config for other tests


def test_report_collects_every_figure_with_its_caption(finished):
    workdir, config = finished
    run = snakemake(workdir, config, "--report", str(workdir / "report.zip"))
    assert run.returncode == 0, run.stderr[-2000:]
    added = re.findall(r"Adding (\S+) \(", run.stdout + run.stderr)
    assert sorted(added) == [
        "fig10_lmc.png",
        "fig1_data_fraction.png",
        "forest_claims.png",
        "gates.csv",
        "safe_sparsity.csv",
        "safe_sparsity.png",
        "summary.csv",
        "verdict.md",
    ]
    with zipfile.ZipFile(workdir / "report.zip") as archive:
        page = archive.read("report/report.html").decode()
    assert "Paper Fig. 1." in page and "Paper Fig. 10." in page  # the registry's captions


def test_bad_config_value_fails_before_any_job_naming_the_key(tmp_path):
    config = tiny_config(tmp_path / "results", [0.3])
    config["modes"] = ["dense", "sprase"]
    run = snakemake(tmp_path, config, "all_figures")
    assert run.returncode != 0
    assert "config key 'modes[1]': 'sprase' is not allowed" in run.stderr
    assert not (tmp_path / "results").exists()


def test_cross_reference_error_names_the_key(tmp_path):
    config = tiny_config(tmp_path / "results", [0.3])
    config["settings"]["data_fraction"]["model"] = "nope"
    run = snakemake(tmp_path, config, "all_figures", "-n")
    assert run.returncode != 0
    message = run.stdout + run.stderr
    assert "settings.data_fraction.model" in message and "'m'" in message
