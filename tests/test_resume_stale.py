"""A checkpoint of a run whose upstream model changed is not resumed: the rerun restarts
cleanly and ends with the clean run's result (same names, other content)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess

import pytest
import torch

from pipeline.finetune.trainer import HOLD_ENV
from tests.conftest import child_env
from tests.test_finetune_resume import ROOT, _command


def _kill_at_step_10(command: list[str], log) -> None:
    proc = subprocess.Popen(
        command, env=child_env(**{HOLD_ENV: "10"}), stdout=subprocess.PIPE, stderr=log, text=True,
        cwd=ROOT,
    )  # fmt: skip
    try:
        for line in proc.stdout:
            if line.startswith("holding at step 10"):
                os.kill(proc.pid, signal.SIGKILL)
                break
        else:
            pytest.fail("run ended before step 10")
    finally:
        proc.kill()
        proc.wait(timeout=60)


def _restage_with_other_weights(model_dir) -> None:
    """What re-staging with other pre-training steps does: same folder, other weights."""
    from transformers import AutoModelForMaskedLM

    model = AutoModelForMaskedLM.from_pretrained(str(model_dir))
    torch.manual_seed(1)
    with torch.no_grad():
        for param in model.parameters():
            param.add_(0.05 * torch.randn_like(param))
    model.save_pretrained(str(model_dir))


def test_stale_checkpoint_is_discarded_after_an_upstream_change(
    tiny_roberta,
    tiny_world,
    mask_file,
    tmp_path,
):
    model = tmp_path / "models" / "m"
    shutil.copytree(tiny_roberta, model)
    run = tmp_path / "run"
    command = _command(model, tiny_world, mask_file, run)
    with (tmp_path / "killed.log").open("w") as log:
        _kill_at_step_10(command, log)
    assert [p.name for p in (run / "checkpoint").iterdir()] == ["step-00000010"]

    _restage_with_other_weights(model)
    rerun = subprocess.run(command, env=child_env(), capture_output=True, text=True, cwd=ROOT,
                           timeout=300)  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert "checkpoint: discarding" in rerun.stdout
    clean = tmp_path / "clean"
    subprocess.run(_command(model, tiny_world, mask_file, clean), env=child_env(), check=True,
                   capture_output=True, cwd=ROOT, timeout=300)  # fmt: skip
    resumed, expected = (json.loads((d / "metrics.json").read_text()) for d in (run, clean))
    assert resumed["training"]["resumed_from_step"] is None
    assert resumed["loss"] == expected["loss"] and resumed["value"] == expected["value"]
    assert resumed["training"]["train_loss"] == expected["training"]["train_loss"]


GROUPS = '{"pivot": "en", "groups": {"majority": ["ru", "vi"], "minority": ["gu", "my"]}}'


@pytest.mark.parametrize(
    ("task", "difficulty", "options", "own", "other"),
    [
        ("rte", "task-all", "{}", ["nyu-mll__glue__rte"], "nyu-mll__glue__qqp"),
        (
            "opus100",
            "group-minority",
            GROUPS,
            ["Helsinki-NLP__opus-100__en-gu", "Helsinki-NLP__opus-100__en-my"],
            "Helsinki-NLP__opus-100__en-ru",
        ),
    ],
)
def test_fingerprint_reads_the_runs_own_data_sets_only(
    tmp_path, task, difficulty, options, own, other
):
    """Another job staging into the shared data folder (its temporary folder, then its data
    set) changes nothing of this run's identity; a change to a data set the run reads does.
    Hashing the whole folder raced with staging: a file of the other job's temporary folder
    vanished between listing and hashing (CI, a MAWPS run beside QQP's staging)."""
    from pipeline.finetune.protocol import Protocol
    from pipeline.finetune.spec import RunSpec

    data, model = tmp_path / "data", tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    for name in own:
        (data / name).mkdir(parents=True)
        (data / name / "train.parquet").write_bytes(b"rows of " + name.encode())
    spec = RunSpec(
        study="paper",
        setting="s",
        model_name="m",
        task_name=task,
        difficulty=difficulty,
        compression="dense",
        mode_name="dense",
        protocol=Protocol(lr=1e-3, epochs=1, batch_size=8, max_length=16, seed=0),
        task_options=json.loads(options),
        model_dir=model,
        world_dir=data,
    )
    before = spec.fingerprint()

    staging = data / f".{other}.0123.tmp" / ".cache"
    staging.mkdir(parents=True)
    (staging / "part.arrow.incomplete").write_bytes(b"half")
    assert spec.fingerprint() == before
    (data / other).mkdir()
    (data / other / "train.parquet").write_bytes(b"another data set")
    assert spec.fingerprint() == before

    (data / own[-1] / "train.parquet").write_bytes(b"re-staged at another revision")
    assert spec.fingerprint() != before
