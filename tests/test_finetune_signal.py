"""SLURM's warning before the walltime kill (``--signal=TERM@<s>`` in the profile): a real
fine-tune subprocess that receives SIGTERM (or USR1) writes a checkpoint of the step it is
at and exits with status 1; started again, it resumes there and ends with the result of an
uninterrupted run. Periodic checkpoints are off here, so the checkpoint is the signal's."""

from __future__ import annotations

import json
import signal
import subprocess

from tests.conftest import child_env
from tests.test_finetune_resume import ROOT, _command, _weights, held_run


def _signal_only(command: list[str]) -> list[str]:
    spec = json.loads(command[-1]) | {"checkpoint_minutes": 0}  # never by the clock
    return [*command[:-1], json.dumps(spec)]


def test_both_warning_signals_are_caught_only_inside_the_loop():
    import os

    from pipeline.finetune.trainer import StopRequest

    before = signal.getsignal(signal.SIGUSR1)
    with StopRequest() as stop:
        os.kill(os.getpid(), signal.SIGUSR1)
        assert stop.signal == signal.SIGUSR1
    assert signal.getsignal(signal.SIGUSR1) is before
    with StopRequest() as stop:
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.signal == signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_sigterm_checkpoints_and_the_retry_ends_as_an_uninterrupted_run(
    tiny_roberta,
    tiny_world,
    mask_file,
    tmp_path,
):
    import torch

    number = signal.SIGTERM
    whole, stopped = tmp_path / "whole", tmp_path / "stopped"
    subprocess.run(
        _signal_only(_command(tiny_roberta, tiny_world, mask_file, whole)),
        env=child_env(), check=True, capture_output=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    command = _signal_only(_command(tiny_roberta, tiny_world, mask_file, stopped))
    log = tmp_path / "stderr.log"
    with held_run(command, 7, log) as proc:
        proc.send_signal(number)
        proc.communicate(timeout=120)
    err = log.read_text()
    assert proc.returncode == 1, err[-2000:]
    name = signal.Signals(number).name
    assert f"finetune: {name} at step 7 of 18: checkpoint in" in err
    assert not (stopped / "metrics.json").exists()
    checkpoint = stopped / "checkpoint" / "step-00000007"
    assert json.loads((checkpoint / "meta.json").read_text())["step"] == 7

    resumed = subprocess.run(
        command, env=child_env(), check=True, capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert f"checkpoint: resumed from {checkpoint}" in resumed.stdout
    first, second = (json.loads((d / "metrics.json").read_text()) for d in (whole, stopped))
    assert second["training"]["resumed_from_step"] == 7
    for key in ("metrics", "value", "loss", "achieved_sparsity"):
        assert second[key] == first[key], key
    assert second["training"]["train_loss"] == first["training"]["train_loss"]
    a, b = _weights(whole / "finetuned"), _weights(stopped / "finetuned")
    assert all(torch.equal(a[n], b[n]) for n in a)
    assert not (stopped / "checkpoint").exists()
