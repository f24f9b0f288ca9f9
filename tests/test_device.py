"""Every model-running verb runs its model on the device it is given (``--device``), and
refuses one no model can run on; checkpoints follow the clock; evaluation batches by length
without changing a result. On CPU: the GPU side of the same checks is tests/test_gpu.py."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest
import torch

from pipeline.cli import main
from pipeline.device import Placement, model_devices, resolve
from pipeline.finetune.adapters.base import length_sorted
from pipeline.finetune.checkpoint import Checkpoints
from pipeline.finetune.protocol import Protocol
from pipeline.finetune.run import load_for_task
from pipeline.finetune.trainer import TrainingState, make_accelerator
from pipeline.tasks.registry import get_task
from tests.conftest import tiny_run
from tests.test_finetune_architectures import (  # noqa: F401  (fixtures)
    CLASSIFICATION,
    CLASSIFICATION_ROWS,
    GENERATION_ROWS,
    CopyTask,
    tiny_llama,
    tiny_mbart,
)

PROTOCOL = {"lr": 1e-3, "epochs": 1, "batch_size": 16, "max_length": 24}
CUDA = torch.cuda.is_available()


def _finetune_args(model: Path, world: Path, out: Path, **extra: Any) -> list[str]:
    """The finetune verb's command line: one JSON run spec (pipeline/finetune/spec.py)."""
    spec = {
        "study": "t",
        "setting": "data_fraction",
        "model_name": "m",
        "model_dir": str(model),
        "task_name": "syn_sentiment",
        "world_dir": str(world),
        "difficulty": "fraction-1",
        "compression": "dense",
        "protocol": {**PROTOCOL, "seed": 0},
        "out": str(out / "metrics.json"),
        "progress": False,
    }
    return ["finetune", json.dumps(spec | extra)]


def test_device_names_resolve_and_a_device_no_model_runs_on_is_refused():
    assert resolve("cpu") == Placement("cpu")
    assert resolve("cpu").device_map == {"": "cpu"}
    assert resolve(None).device == ("cuda" if CUDA else "cpu")
    for bad in ("meta", "tpu", "cuda:x"):
        with pytest.raises(ValueError, match=rf"--device '{bad}'.*cpu, cuda, cuda:N, auto"):
            resolve(bad)


@pytest.mark.skipif(CUDA, reason="checks a machine without CUDA")
def test_cuda_without_cuda_is_a_clear_error_naming_both_cuda_versions():
    """Asked for CUDA, a job never runs on the host: it stops, naming torch's CUDA build and
    the driver's (here a CPU-only torch and no driver)."""
    with pytest.raises(ValueError, match=r"--device 'cuda'.*not usable") as refused:
        resolve("cuda")
    message = str(refused.value)
    assert f"torch {torch.__version__} built for CUDA none" in message
    assert "driver not found" in message and "refuses to run on the CPU" in message
    assert resolve("auto") == Placement("cpu")


GOOD = {
    "torch": "2.11.0+cu130", "torch_cuda": "13.0", "driver": "580.65", "driver_cuda": "13.0",
    "cuda_available": True, "visible_gpus": 1, "device_name": "NVIDIA H100", "free_gib": 79.0,
}  # fmt: skip


def test_preflight_finds_a_driver_too_old_for_torch_and_too_little_memory():
    from pipeline.device import preflight_problems

    assert preflight_problems(GOOD, 24) == []
    old = {**GOOD, "driver": "535.1", "driver_cuda": "12.2", "cuda_available": False}
    (problem,) = preflight_problems(old, 24)
    assert "built for CUDA 13.0" in problem and "535.1 supports CUDA 12.2" in problem
    assert preflight_problems({**GOOD, "torch_cuda": "13.0", "driver_cuda": "13.2"}, 0) == []
    (small,) = preflight_problems({**GOOD, "free_gib": 10.0}, 24)
    assert "10.0 GiB free on NVIDIA H100" in small and "device_min_free_gib" in small
    cpu_build = {**GOOD, "torch_cuda": None, "cuda_available": False}
    assert preflight_problems(cpu_build, 0) == ["torch 2.11.0+cu130 is a CPU-only build"]


@pytest.mark.skipif(CUDA, reason="checks a machine without CUDA")
def test_preflight_verb_fails_without_a_gpu_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "preflight.json"
    with pytest.raises(SystemExit) as failed:
        main(["gpu-preflight", "--device", "cuda", "--out", str(out)])
    assert failed.value.code == 1 and not out.exists()
    captured = capsys.readouterr()
    assert '"torch_cuda": null' in captured.out and "CPU-only build" in captured.err


def test_finetune_verb_runs_on_the_device_it_is_given(tiny_roberta, tiny_world, tmp_path, capsys):
    refused = tmp_path / "refused"
    code = main(_finetune_args(tiny_roberta, tiny_world, refused, mode_name="dense", device="meta"))
    assert code == 2 and "--device 'meta'" in capsys.readouterr().err
    assert not (refused / "metrics.json").exists()

    run = tmp_path / "run"
    assert main(_finetune_args(tiny_roberta, tiny_world, run, mode_name="dense", device="cpu")) == 0
    record = json.loads((run / "metrics.json").read_text())
    assert record["training"]["device"] == "cpu"
    assert record["training"]["devices"] == ["cpu"]  # read off the parameters themselves
    assert record["training"]["weights_dtype"] == "float32"  # fp32 master weights
    assert record["protocol"]["tf32"] is False  # precision options are in every row
    assert not (run / "finetuned").exists()  # no --out-model: no model written


def test_zero_shot_cell_loads_in_its_precision_on_the_device(tiny_roberta, tiny_world):
    cell = functools.partial(
        tiny_run, tiny_roberta, tiny_world, "dense", "zero_shot", setting="book", model_name="m"
    )
    bf16 = Protocol.from_dict({**PROTOCOL, "precision": "bf16", "seed": 0})
    record = cell(protocol=bf16, device="cpu")
    assert record["training"] == {
        "steps": 0,
        "n_train": 0,
        "device": "cpu",
        "devices": ["cpu"],
        "weights_dtype": "bfloat16",  # loaded in the protocol's dtype: no fp32 copy
    }
    fp32 = cell(protocol=Protocol.from_dict({**PROTOCOL, "seed": 0}), device="cpu")
    assert fp32["training"]["weights_dtype"] == "float32"
    assert 0.0 <= record["value"] <= 1.0 and abs(record["value"] - fp32["value"]) < 0.2
    with pytest.raises(ValueError, match="--device 'meta'"):
        cell(protocol=bf16, device="meta")


def test_lmc_job_runs_on_the_device_it_is_given(tiny_roberta, tiny_world, tmp_path, capsys):
    ends = {}
    for name in ("dense", "other"):
        run = tmp_path / name
        ends[name] = run / "finetuned"
        protocol = {**PROTOCOL, "seed": 0 if name == "dense" else 1}
        args = _finetune_args(
            tiny_roberta,
            tiny_world,
            run,
            mode_name="dense",
            device="cpu",
            protocol=protocol,
            out_dir=str(ends[name]),
        )
        assert main(args) == 0
    lmc = [
        "lmc",
        "--dense",
        str(ends["dense"]),
        "--sparse",
        str(ends["other"]),
        "--task",
        "syn_sentiment",
        "--world",
        str(tiny_world),
        "--protocol",
        json.dumps(PROTOCOL),
        "--alphas",
        "3",
    ]
    assert main([*lmc, "--out", str(tmp_path / "meta.json"), "--device", "meta"]) == 2
    assert "--device 'meta'" in capsys.readouterr().err
    assert main([*lmc, "--out", str(tmp_path / "lmc.json"), "--device", "cpu"]) == 0
    result = json.loads((tmp_path / "lmc.json").read_text())
    assert result["device"] == "cpu" and result["devices"] == ["cpu"]
    assert [row["alpha"] for row in result["rows"]] == [0.0, 0.5, 1.0]


def test_prune_and_evaluate_verbs_run_on_the_device_they_are_given(
    tiny_roberta, tiny_world, tmp_path
):
    out = tmp_path / "wanda"
    calibration = json.dumps({"source": "world", "samples": 4, "seq_len": 16})
    base = ["prune", "--model", str(tiny_roberta), "--method", "wanda", "--level", "0.5"]
    base += ["--calibration", calibration, "--world", str(tiny_world)]
    base += ["--out-mask", str(out / "mask.npz"), "--out-report", str(out / "report.json")]
    assert main([*base, "--device", "meta"]) == 2
    assert main([*base, "--device", "cpu"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["device"] == "cpu" and abs(report["achieved_sparsity"] - 0.5) < 0.01

    evaluate = ["evaluate", "--model", str(tiny_roberta), "--task", "syn_sentiment"]
    evaluate += ["--world", str(tiny_world), "--masks", str(out / "mask.npz")]
    assert main([*evaluate, "--out", str(tmp_path / "e.json"), "--device", "meta"]) == 2
    assert main([*evaluate, "--out", str(tmp_path / "e.json"), "--device", "cpu"]) == 0
    evaluation = json.loads((tmp_path / "e.json").read_text())
    assert evaluation["device"] == "cpu" and abs(evaluation["achieved_sparsity"] - 0.5) < 0.01


def test_checkpoints_are_timed_by_the_wall_clock(tmp_path):
    now = [0.0]
    checkpoints = Checkpoints(tmp_path, 20, "run", clock=lambda: now[0])
    assert not checkpoints.due(step=500, total=1000)  # steps do not matter, time does
    now[0] = 20 * 60 - 1
    assert not checkpoints.due(step=1, total=1000)
    now[0] = 20 * 60
    assert checkpoints.due(step=1, total=1000)
    assert not checkpoints.due(step=1000, total=1000)  # never after the last step

    protocol = Protocol(lr=1e-3, steps=4, batch_size=2, max_length=8, seed=0)
    accelerator = make_accelerator(protocol, "cpu")
    state = TrainingState(seed=0, total=4)
    accelerator.register_for_checkpointing(state)
    state.step = 3
    checkpoints.save(accelerator, 3)
    assert not checkpoints.due(step=3, total=1000)  # the interval restarts at each save
    now[0] += 20 * 60
    assert checkpoints.due(step=3, total=1000)
    with pytest.raises(ValueError, match="checkpoint_minutes must be >= 0"):
        Checkpoints(tmp_path, -1, "run")


def test_a_never_interval_writes_no_checkpoint(tmp_path):
    never = Checkpoints(tmp_path, 0, "run", clock=lambda: 1e12)
    assert not never.due(step=1, total=10)


class EveryPrediction:
    """The task, scoring each prediction under its own key too: equal scores then mean
    equal predictions, example by example, in the original order."""

    def __init__(self, task) -> None:
        self.task = task

    def __getattr__(self, name):
        return getattr(self.task, name)

    def score(self, references, predictions):
        each = {f"prediction_{i}": str(p) for i, p in enumerate(predictions)}
        return {**self.task.score(references, predictions), **each}


def _trained(model_dir: Path, task, rows):
    """A tiny model trained a little on ``rows``, so that its outputs differ by example."""
    from pipeline.compress.prunable import prunable_parameters
    from pipeline.finetune.modes import get_mode
    from pipeline.finetune.trainer import Loaded, Session, train

    protocol = Protocol(lr=3e-3, steps=30, batch_size=4, max_length=16, seed=5)
    adapter, model, tokenizer = load_for_task(model_dir, task, 0)
    mode, params = get_mode("dense"), prunable_parameters(model)
    accelerator = make_accelerator(protocol, "cpu")
    train(
        Loaded(adapter, model, tokenizer),
        task,
        rows,
        protocol,
        mode,
        (params, None),
        accelerator,
        Session(progress=False),
    )
    assert model_devices(model) == {"cpu"}
    return adapter, model, tokenizer


def test_length_sorted_batches_are_sorted_and_cover_every_example_once():
    examples = [{"input_ids": [0] * n} for n in (5, 2, 9, 2, 7)]
    assert length_sorted(examples) == [1, 3, 0, 4, 2]  # stable
    nested = [{"input_ids": [[0] * 3, [0] * 8]}, {"input_ids": [[0] * 4, [0] * 4]}]
    assert length_sorted(nested) == [1, 0]  # multiple choice: the longest choice


@pytest.mark.parametrize("kind", ["classification", "mbart", "llama"])
def test_length_sorted_evaluation_gives_the_unbatched_results(
    kind,
    tiny_roberta,
    tiny_world,
    tiny_mbart,  # noqa: F811
    tiny_llama,  # noqa: F811
):
    """Batch size 1 is evaluation without padding or reordering; a large, length-sorted
    batch must give the same metrics (and the same loss, up to float summation order)."""
    if kind == "classification":
        task = get_task("syn_sentiment")
        model_dir, rows = tiny_roberta, task.load_split("validation", tiny_world)
    else:
        task, rows = CopyTask(), GENERATION_ROWS * 3
        model_dir = tiny_mbart if kind == "mbart" else tiny_llama
    task = EveryPrediction(task)
    adapter, model, tokenizer = _trained(model_dir, task, rows)
    one = adapter.evaluate(model, tokenizer, task, rows, 16, 1)
    big = adapter.evaluate(model, tokenizer, task, rows, 16, 7)
    predictions = {v for k, v in one["metrics"].items() if k.startswith("prediction_")}
    if kind == "llama":  # the tiny classifier and mBART give every example one output
        assert len(predictions) > 1
    assert big["metrics"] == one["metrics"]
    assert big["n_eval"] == one["n_eval"] == len(rows)
    if kind == "classification":  # one mean per example: equal up to rounding
        assert big["loss"] == pytest.approx(one["loss"], rel=1e-5)
