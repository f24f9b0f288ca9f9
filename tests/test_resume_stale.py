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
from tests.test_finetune_resume import ROOT, _command, _env, mask_file  # noqa: F401


def _kill_at_step_10(command: list[str], log) -> None:
    proc = subprocess.Popen(
        command, env=_env(**{HOLD_ENV: "10"}), stdout=subprocess.PIPE, stderr=log, text=True,
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
    mask_file,  # noqa: F811 - the fixture imported above
    tmp_path,
):
    model = tmp_path / "models" / "m"
    shutil.copytree(tiny_roberta, model)
    run = tmp_path / "run"
    command = _command(model, tiny_world, mask_file, run)
    with (tmp_path / "killed.log").open("w") as log:
        _kill_at_step_10(command, log)
    assert [p.name for p in (run / "checkpoint").iterdir()] == ["step-00000008"]

    _restage_with_other_weights(model)
    rerun = subprocess.run(command, env=_env(), capture_output=True, text=True, cwd=ROOT,
                           timeout=300)  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert "checkpoint: discarding" in rerun.stdout
    clean = tmp_path / "clean"
    subprocess.run(_command(model, tiny_world, mask_file, clean), env=_env(), check=True,
                   capture_output=True, cwd=ROOT, timeout=300)  # fmt: skip
    resumed, expected = (json.loads((d / "metrics.json").read_text()) for d in (run, clean))
    assert resumed["training"]["resumed_from_step"] is None
    assert resumed["loss"] == expected["loss"] and resumed["value"] == expected["value"]
    assert resumed["training"]["train_loss"] == expected["training"]["train_loss"]
