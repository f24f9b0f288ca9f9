"""A fine-tune killed part-way (SIGKILL) and started again with the same command ends with
bit-identical weights and metrics to an uninterrupted run; checkpoints of another run are
never resumed."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from pipeline.finetune.checkpoint import Checkpoints
from pipeline.finetune.protocol import Protocol
from pipeline.finetune.trainer import HOLD_ENV, TrainingState, make_accelerator
from tests.conftest import child_env, finetune_command, tiny_spec

# 96 training rows / batch 16 = 6 steps per epoch, 18 steps; a tiny wall-time interval
# checkpoints after every step. Killed after step 10 (and its checkpoint), the run resumes
# mid-epoch from step 10 and crosses an epoch boundary (step 12).
PROTOCOL = {"lr": 1e-3, "epochs": 3, "batch_size": 16, "max_length": 24, "weight_decay": 0.01}
ROOT = Path(__file__).resolve().parents[1]


def _command(tiny_roberta: Path, tiny_world: Path, mask_file: Path, run: Path) -> list[str]:
    """The finetune verb's command; the last argument is the run spec (JSON)."""
    spec = tiny_spec(
        tiny_roberta,
        tiny_world,
        compression="magnitude-0.5",
        masks_path=str(mask_file),
        mode_name="sparse",
        protocol={**PROTOCOL, "seed": 3},
        checkpoint_minutes=1e-9,
        out_dir=str(run / "finetuned"),
        out=str(run / "metrics.json"),
    )
    return finetune_command(spec)


def _weights(folder: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(folder / "model.safetensors"))


@contextlib.contextmanager
def held_run(command: list[str], step: int, log: Path) -> Iterator[subprocess.Popen]:
    """The finetune ``command`` started to pause after ``step`` (HOLD_ENV), its stderr in
    ``log``: the process, once it says it holds there; killed on the way out if it still
    runs. The test fails if the run ends before that step."""
    with log.open("w") as err:
        proc = subprocess.Popen(
            command,
            env=child_env(**{HOLD_ENV: str(step)}),
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            cwd=ROOT,
        )
        try:
            for line in proc.stdout:
                if line.startswith(f"holding at step {step}"):
                    break
            else:
                pytest.fail(f"run ended before step {step}: {log.read_text()[-2000:]}")
            yield proc
        finally:
            proc.kill()
            proc.wait(timeout=60)


def test_killed_run_resumes_to_bit_identical_weights_and_metrics(
    tiny_roberta, tiny_world, mask_file, tmp_path
):
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    subprocess.run(
        _command(tiny_roberta, tiny_world, mask_file, whole),
        env=child_env(),
        check=True,
        capture_output=True,
        cwd=ROOT,
        timeout=300,
    )

    command = _command(tiny_roberta, tiny_world, mask_file, killed)
    with held_run(command, 10, tmp_path / "stderr.log") as proc:
        os.kill(proc.pid, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    assert not (killed / "metrics.json").exists()
    assert [p.name for p in (killed / "checkpoint").iterdir()] == ["step-00000010"]

    subprocess.run(command, env=child_env(), check=True, capture_output=True, cwd=ROOT, timeout=300)
    first, resumed = (json.loads((d / "metrics.json").read_text()) for d in (whole, killed))
    assert first["training"]["resumed_from_step"] is None
    assert resumed["training"]["resumed_from_step"] == 10
    for key in ("metrics", "value", "loss", "achieved_sparsity", "protocol_hash"):
        assert resumed[key] == first[key], key
    assert resumed["training"]["train_loss"] == first["training"]["train_loss"]
    a, b = _weights(whole / "finetuned"), _weights(killed / "finetuned")
    assert a.keys() == b.keys()
    for name in a:
        assert torch.equal(a[name], b[name]), name
    assert not (killed / "checkpoint").exists()  # removed once the outputs are written


def test_checkpoints_of_another_run_or_half_written_are_discarded(tmp_path):
    protocol = Protocol(lr=1e-3, steps=4, batch_size=2, max_length=8, seed=0)
    accelerator = make_accelerator(protocol)
    state = TrainingState(seed=0)
    accelerator.register_for_checkpointing(state)
    state.step = 2
    saved = Checkpoints(tmp_path, 2, "run-a").save(accelerator, 2)
    (tmp_path / "step-00000004.partial").mkdir()  # a write killed half-way

    state.step = 0
    assert Checkpoints(tmp_path, 2, "run-b").resume(accelerator) is None
    assert list(tmp_path.iterdir()) == [] and state.step == 0

    state.step = 2
    Checkpoints(tmp_path, 2, "run-a").save(accelerator, 2)
    (tmp_path / "step-00000004.partial").mkdir()
    state.step = 0
    assert Checkpoints(tmp_path, 2, "run-a").resume(accelerator) == saved
    assert state.step == 2
    assert [p.name for p in tmp_path.iterdir()] == [saved.name]
