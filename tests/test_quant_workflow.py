"""A real snakemake run of the quantization arms on a tiny study: post-training quantization
(and post-training noise, claim e's second control) reads the dense run's fine-tuned model,
no arm needs a stored compression, and `collect` writes the per-example table next to the
results table."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline.tasks.metrics import from_examples
from tests.conftest import job_counts, snakemake, tiny_study

pytestmark = pytest.mark.workflow


def quant_config(results: Path, modes: list[str]) -> dict:
    config = tiny_study(results, [0.5], ["dense", *modes], [0], [1.0])
    config["compression"] = {
        "methods": ["rtn", "noise"],
        "sparsities": [0.5],
        "bits": [4],
        "noise_scales": [0.5],
    }
    config["settings"] = {"across_tasks": {"model": "m", "tasks": ["syn_sentiment"]}}
    return config


def test_quantization_arms_run_and_collect_examples(tmp_path):
    config = quant_config(tmp_path / "results", ["ptq", "qat", "ptn"])
    target = f"{config['results_dir']}/tables/results.parquet"
    dry = snakemake(tmp_path, config, target, "-n")
    assert dry.returncode == 0, dry.stderr[-2000:]
    counts = job_counts(dry.stdout)
    # dense (keeping its model for ptq and ptn), ptq, qat, ptn; no rtn or noise job
    assert (counts["finetune"], counts["finetune_keep_model"]) == (3, 1) and "prune" not in counts
    assert "prune_seeded" not in counts
    # The real run: qat trains like any mode (tests/test_quant_modes.py); ptq and ptn are
    # the ones that read another run's output.
    config = quant_config(tmp_path / "results", ["ptq", "ptn"])
    run = snakemake(tmp_path, config, target)
    assert run.returncode == 0, run.stderr[-3000:]
    tables = Path(config["results_dir"]) / "tables"
    results = pq.read_table(tables / "results.parquet").to_pandas().set_index("mode")
    assert sorted(results.index) == ["dense", "ptn", "ptq"]
    assert results.loc["ptq", "compression"] == "rtn-4bit"
    assert results.loc["ptn", "compression"] == "noise-0.5sd"
    for arm in ("ptq", "ptn"):
        assert results.loc[arm, "protocol_hash"] == results.loc["dense", "protocol_hash"]
    # Only the quantized row carries the share of weights RTN set to zero.
    assert 0.05 < results.loc["ptq", "zeroed_fraction"] < 0.4
    assert results[["zeroed_fraction"]].drop(index="ptq").isna().all().all()
    noise = json.loads(results.loc["ptn", "training_json"])
    assert 0.3 < noise["relative_perturbation"] < 0.55 and noise["noise_scale"] == 0.5
    assert results["chance"].between(0.5, 1).all()
    examples = pq.read_table(tables / "examples.parquet").to_pandas()
    for mode, rows in examples.groupby("mode"):
        assert rows["example_id"].tolist() == list(range(results.loc[mode, "n_eval"]))
        assert from_examples("accuracy", rows) == pytest.approx(results.loc[mode, "value"])
