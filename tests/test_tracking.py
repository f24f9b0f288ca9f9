"""Experiment tracking: a real fine-tune with `--tracking tensorboard` writes event files whose
per-step losses give back the run's own metrics.json loss curve and whose evaluation scalars
are its metrics; the config key renders into the fine-tune command only when it is on."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from pipeline.finetune.tracking import Tracker, scalar_metrics
from tests.conftest import child_env, finetune_command, tiny_spec
from tests.run_specs import finetune_specs

ROOT = Path(__file__).resolve().parents[1]
# 96 training rows / batch 16 = 6 steps per epoch; 130 steps cross two LOG_EVERY (50)
# windows and end with a partial one, so every logging path writes.
PROTOCOL = {"lr": 1e-3, "steps": 130, "batch_size": 16, "max_length": 24}


def _scalars(logdir: Path) -> dict[str, list[tuple[int, float]]]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(logdir), size_guidance={"scalars": 0})  # 0: keep all
    events.Reload()
    return {
        tag: [(e.step, e.value) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]
    }


def test_tensorboard_events_hold_the_runs_losses_and_metrics(tiny_roberta, tiny_world, tmp_path):
    run = tmp_path / "run"
    tracking = tmp_path / "tracking"
    spec = tiny_spec(
        tiny_roberta,
        tiny_world,
        compression="dense",
        mode_name="dense",
        protocol={**PROTOCOL, "seed": 3},
        out=str(run / "metrics.json"),
        tracking="tensorboard",
        tracking_dir=str(tracking),
    )
    command = finetune_command(spec)
    done = subprocess.run(command, env=child_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    record = json.loads((run / "metrics.json").read_text())
    training = record["training"]

    logdir = tracking / "tiny/syn_sentiment/fraction-1/dense/dense/seed3"
    scalars = _scalars(logdir)
    loss = scalars["train/loss"]
    assert [step for step, _ in loss] == list(range(1, 131))
    values = [value for _, value in loss]
    total = training["steps"]
    tenths = [values[i * total // 10 : (i + 1) * total // 10] for i in range(10)]
    assert [sum(t) / len(t) for t in tenths] == pytest.approx(training["loss_curve"], rel=1e-6)
    per_epoch = round(total / training["epochs"])
    last_epoch = values[-per_epoch:]
    assert sum(last_epoch) / per_epoch == pytest.approx(training["train_loss"], rel=1e-6)
    assert scalars["train/last_epoch_loss"] == [(total, pytest.approx(training["train_loss"]))]
    # The evaluation, at the last step: every metric of the record and its loss.
    for name, value in record["metrics"].items():
        assert scalars[f"eval/{name}"] == [(total, pytest.approx(value, abs=1e-6))]
    assert scalars["eval/loss"] == [(total, pytest.approx(record["loss"], rel=1e-6))]
    # The linear schedule decays to zero at the last step.
    assert scalars["train/lr"][-1] == (total, pytest.approx(0.0, abs=1e-12))
    assert len(scalars["train/lr"]) == 3  # steps 50, 100 and 130


def test_a_backend_whose_package_is_missing_fails_with_its_install_line(monkeypatch, tmp_path):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "wandb" else real(name, *a)
    )
    with pytest.raises(ValueError, match=r"tracking.backend: 'wandb' needs .*pip install wandb"):
        Tracker("wandb", tmp_path, "run")
    with pytest.raises(ValueError, match="tracking.backend: 'tensorbord' is not one of"):
        Tracker("tensorbord", tmp_path, "run")
    with pytest.raises(ValueError, match="needs tracking.dir"):
        Tracker("tensorboard", "", "run")
    off = Tracker("none", tmp_path / "off", "run")
    off.start("p", {"a": 1})
    off.log({"x": 1.0}, 1)
    off.finish()
    assert not off.on and not (tmp_path / "off").exists()  # off: nothing is written


def test_scalar_metrics_flattens_and_keeps_numbers_only():
    values = {"acc": 0.5, "n": 3, "ok": True, "name": "x", "sub": {"f1": 0.25}, "none": None}
    assert scalar_metrics("eval", values) == {"eval/acc": 0.5, "eval/n": 3.0, "eval/sub/f1": 0.25}


def _dry_run_commands(tmp_path: Path, tracking: dict | None) -> list[dict]:
    from conftest import tiny_study

    config = tiny_study(tmp_path / "results", [0.5], ["dense", "sparse"], [0], [1.0])
    if tracking is not None:
        config["tracking"] = tracking
    path = tmp_path / f"study-{(tracking or {}).get('backend', 'off')}.yaml"
    path.write_text(yaml.safe_dump(config))
    done = subprocess.run(
        ["snakemake", "-n", "-p", "all", "--configfile", str(path)],
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    return finetune_specs(done.stdout)


@pytest.mark.workflow
def test_the_config_key_renders_into_the_finetune_command_only_when_on(tmp_path):
    off = _dry_run_commands(tmp_path, None)
    assert off and all(s["tracking"] == "none" and "tracking_dir" not in s for s in off)
    on = _dry_run_commands(tmp_path, {"backend": "tensorboard"})
    default_dir = {"tracking": "tensorboard", "tracking_dir": f"{tmp_path / 'results'}/tracking"}
    assert on and all(spec.items() >= default_dir.items() for spec in on)
    chosen = _dry_run_commands(tmp_path, {"backend": "mlflow", "dir": "/srv/mlruns"})
    mlflow = {"tracking": "mlflow", "tracking_dir": "/srv/mlruns"}
    assert chosen and all(spec.items() >= mlflow.items() for spec in chosen)
