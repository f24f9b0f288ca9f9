"""The file rules behind the real-SLURM retry test (tests/test_slurm_real.py), fast and
without a cluster: what is kept, when it is restored, when it is released."""

from __future__ import annotations

import os
from dataclasses import replace

from pipeline.finetune import retain
from pipeline.finetune.lock import exclusive
from pipeline.finetune.protocol import Protocol
from pipeline.finetune.spec import RunSpec


def finished_run(root, name="seed0"):
    """A run folder in the workflow's layout after a successful fine-tune."""
    run = root / "runs/m/t/fraction-1/dense/dense" / name
    (run / "finetuned").mkdir(parents=True)
    (run / "finetuned" / "model.safetensors").write_bytes(b"weights")
    (run / "metrics.json").write_text('{"value": 0.75}')
    (run / "examples.parquet").write_bytes(b"per-example scores")
    return run


def test_outputs_are_kept_as_hard_links_and_restored_after_snakemake_deleted_them(tmp_path):
    run = finished_run(tmp_path)
    retain.keep(run, "fp1")
    kept = run / "done" / "finetuned" / "model.safetensors"
    assert os.stat(kept).st_ino == os.stat(run / "finetuned" / "model.safetensors").st_ino
    for out in ("metrics.json", "examples.parquet", "finetuned/model.safetensors"):
        (run / out).unlink()  # what Snakemake does to a failed pack's members
    (run / "finetuned").rmdir()
    assert retain.restore(run, "fp1", run / "metrics.json")
    assert (run / "metrics.json").read_text() == '{"value": 0.75}'
    assert (run / "examples.parquet").read_bytes() == b"per-example scores"
    assert (run / "finetuned" / "model.safetensors").read_bytes() == b"weights"


def test_a_kept_result_of_other_arguments_or_inputs_is_discarded(tmp_path):
    run = finished_run(tmp_path)
    retain.keep(run, "fp1")
    assert not retain.restore(run, "fp2", run / "metrics.json")
    assert not (run / "done").exists()
    model = tmp_path / "model.bin"
    model.write_bytes(b"a")
    protocol = Protocol(lr=1e-3, epochs=1, batch_size=8, max_length=16, seed=0)
    spec = RunSpec("t", "data_fraction", "m", "syn_sentiment", "fraction-1", "dense", "dense",
                   protocol, model_dir=model)  # fmt: skip
    before = retain.fingerprint(spec.fingerprint())
    other_seed = replace(spec, protocol=replace(protocol, seed=1))
    assert retain.fingerprint(other_seed.fingerprint()) != before
    model.write_bytes(b"b")  # re-staged with other weights
    assert retain.fingerprint(spec.fingerprint()) != before


def test_kept_copies_are_released_once_the_pack_succeeded(tmp_path):
    running, succeeded, failed = (finished_run(tmp_path, f"seed{i}") for i in range(3))
    for run in (running, succeeded, failed):
        retain.keep(run, "fp")
    (succeeded / "finetuned" / "model.safetensors").unlink()  # temp() model consumed
    (succeeded / "finetuned").rmdir()
    (failed / "metrics.json").unlink()  # its pack failed: Snakemake deleted the outputs
    retain.sweep(tmp_path / "runs")
    assert [(r / "done").exists() for r in (running, succeeded, failed)] == [True, False, True]
    with exclusive(running):  # in use by another instance: left alone even at the end
        retain.sweep(tmp_path / "runs", finished=True)
    assert (running / "done").exists()
    retain.sweep(tmp_path / "runs", finished=True)  # the workflow ended
    assert [(r / "done").exists() for r in (running, failed)] == [False, True]


def test_run_once_trains_then_restores(tmp_path):
    run = tmp_path / "runs/m/t/fraction-1/dense/dense/seed0"
    calls = []

    def train():
        calls.append(1)
        run.mkdir(parents=True, exist_ok=True)
        (run / "metrics.json").write_text("{}")

    assert retain.run_once(run, run / "metrics.json", "fp", train) is False
    (run / "metrics.json").unlink()
    assert retain.run_once(run, run / "metrics.json", "fp", train) is True
    assert calls == [1] and (run / "metrics.json").read_text() == "{}"
