"""A real snakemake run of the quantization arms on a tiny study: post-training quantization
reads the dense run's fine-tuned model, neither arm needs a stored compression, and
`collect` writes the per-example table next to the results table."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline.tasks.metrics import from_examples
from tests.conftest import tiny_study
from tests.test_workflow import job_counts, snakemake

pytestmark = pytest.mark.workflow


def quant_config(results: Path, modes: list[str]) -> dict:
    config = tiny_study(results, [0.5], ["dense", *modes], [0], [1.0])
    config["compression"] = {"methods": ["rtn"], "sparsities": [0.5], "bits": [4]}
    config["settings"] = {"across_tasks": {"model": "m", "tasks": ["syn_sentiment"]}}
    return config


def test_quantization_arms_run_and_collect_examples(tmp_path):
    config = quant_config(tmp_path / "results", ["ptq", "qat"])
    target = f"{config['results_dir']}/tables/results.parquet"
    dry = snakemake(tmp_path, config, target, "-n")
    assert dry.returncode == 0, dry.stderr[-2000:]
    counts = job_counts(dry.stdout)
    # dense (keeping its model for ptq), ptq, qat; no rtn job
    assert (counts["finetune"], counts["finetune_keep_model"]) == (2, 1) and "prune" not in counts
    # The real run: qat trains like any mode (tests/test_quant_modes.py); ptq is the one
    # that reads another run's output.
    config = quant_config(tmp_path / "results", ["ptq"])
    run = snakemake(tmp_path, config, target)
    assert run.returncode == 0, run.stderr[-3000:]
    tables = Path(config["results_dir"]) / "tables"
    results = pq.read_table(tables / "results.parquet").to_pandas().set_index("mode")
    assert sorted(results.index) == ["dense", "ptq"]
    assert results.loc["ptq", "compression"] == "rtn-4bit"
    assert results.loc["ptq", "protocol_hash"] == results.loc["dense", "protocol_hash"]
    assert results["chance"].between(0.5, 1).all()
    examples = pq.read_table(tables / "examples.parquet").to_pandas()
    for mode, rows in examples.groupby("mode"):
        assert rows["example_id"].tolist() == list(range(results.loc[mode, "n_eval"]))
        assert from_examples("accuracy", rows) == pytest.approx(results.loc[mode, "value"])
