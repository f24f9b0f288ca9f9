"""The tiny-model GPU/CPU comparison (``pytest -m gpu tests/test_gpu.py``; skipped without
CUDA; ``make gpu-check``, pipeline/cluster/gpucheck.py, is the check that fails without a GPU).

Tiny stand-ins of the three model kinds (RoBERTa, mBART, Llama; built on the tiny world)
through every model-running verb on CUDA: every parameter and every batch is on the device,
fp32 results match the CPU's within tolerance, bf16 runs, and the fine-tuning loop's time
per epoch is printed beside transformers' Trainer on the same model, data and batch.
``JUNKDNA_GPU_CHECK_DEVICE=cpu`` runs the same checks on the CPU (to develop them there).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from pipeline.staging.standins import TINY_SEQ2SEQ
from tests.conftest import TINY_PRETRAIN, train_dense

DEVICE = os.environ.get("JUNKDNA_GPU_CHECK_DEVICE", "cuda")
pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(
        DEVICE.startswith("cuda") and not torch.cuda.is_available(), reason="no CUDA device"
    ),
]
ROOT = Path(__file__).resolve().parents[1]
PROTOCOL = {"lr": 1e-3, "epochs": 1, "batch_size": 16, "max_length": 32}
MBART_SIZE = TINY_SEQ2SEQ  # the stand-ins' encoder-decoder width
LLAMA_SIZE = {
    "hidden_size": 16,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "num_key_value_heads": 2,
    "intermediate_size": 32,
}
TRANSLATION = {"pivot": "maj_a", "groups": {"minority": ["min_b", "min_c"]}}


def _device_name() -> str:
    return "cuda:0" if DEVICE.startswith("cuda") else DEVICE


@pytest.fixture(scope="module")
def models(tiny_world, tiny_roberta, tmp_path_factory) -> dict[str, Path]:
    from pipeline.models.pretrain import pretrain

    out = {"roberta": tiny_roberta}
    for arch, size in (("mbart", MBART_SIZE), ("llama", LLAMA_SIZE)):
        folder = tmp_path_factory.mktemp("gpu") / arch
        folder.mkdir()
        pretrain(
            tiny_world, arch, size, {**TINY_PRETRAIN, "max_length": 48}, folder, progress=False
        )
        out[arch] = folder
    return out


def verb(*args: str) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]


def finetune(model: Path, world: Path, out: Path, device: str, **cell: str) -> dict:
    """Run the finetune verb on one cell (``cell``: the verb's old flag names, JSON strings
    for the protocol and the task options) and return its record."""
    names = {
        "task": "task_name",
        "mode": "mode_name",
        "masks": "masks_path",
        "out_model": "out_dir",
    }
    protocol = {**PROTOCOL, **json.loads(cell.pop("protocol", "{}")), "seed": 0}
    options = json.loads(cell.pop("task_options", "{}"))
    spec = {"study": "gpu", "setting": cell.pop("setting", "data_fraction"), "device": device}
    spec |= {"model_name": model.name, "model_dir": str(model), "world_dir": str(world)}
    spec |= {"protocol": protocol, "task_options": options, "progress": False}
    spec |= {"out": str(out / "metrics.json")} | {names.get(k, k): v for k, v in cell.items()}
    verb("finetune", json.dumps(spec))
    return json.loads((out / "metrics.json").read_text())


def test_every_parameter_and_batch_is_on_the_device(models, tiny_world):
    """In-process: a hook on every forward pass (training, evaluation, generation) checks
    the inputs; the parameters are checked after loading and after training."""
    from pipeline.device import model_devices, resolve
    from pipeline.finetune.protocol import Protocol
    from pipeline.finetune.run import load_for_task
    from pipeline.finetune.trainer import make_accelerator
    from pipeline.tasks.registry import get_task

    placement = resolve(DEVICE)
    device = torch.device(placement.device)
    cases = {
        "roberta": get_task("syn_sentiment"),
        "mbart": get_task("syn_translation").configure("lang-minority", TRANSLATION),
        "llama": get_task("syn_triviaqa").configure("book-open", {}),
    }
    for kind, task in cases.items():
        protocol = Protocol.from_dict({**PROTOCOL, "steps": 3, "epochs": None, "seed": 0})
        accelerator = make_accelerator(protocol, DEVICE)
        adapter, model, tokenizer = load_for_task(
            models[kind], task, 0, dtype="float32", device_map=placement.device_map
        )
        assert model_devices(model) == {_device_name()}, kind
        seen = []

        def on_device(_module, args, kwargs, seen=seen, kind=kind):
            tensors = [t for t in [*args, *kwargs.values()] if isinstance(t, torch.Tensor)]
            assert all(t.device.type == device.type for t in tensors), kind
            seen.append(len(tensors))

        hook = model.register_forward_pre_hook(on_device, with_kwargs=True)
        rows = task.load_split("validation", tiny_world)[:32]
        train_dense(adapter, model, tokenizer, task, rows, protocol, accelerator)
        adapter.evaluate(model, tokenizer, task, rows, protocol.max_length, 8)
        hook.remove()
        assert len(seen) >= 3 + 4 and all(seen), kind  # 3 steps + 4 evaluation batches
        assert model_devices(model) == {_device_name()}, kind


def _close(a: dict, b: dict, kind: str) -> None:
    assert a["training"]["devices"] == [_device_name()], kind
    assert b["training"]["devices"] == ["cpu"], kind
    assert a["loss"] == pytest.approx(b["loss"], rel=1e-3, abs=1e-4), kind
    assert a["value"] == pytest.approx(b["value"], abs=0.05), kind


def test_every_verb_on_the_device_matches_the_cpu_in_fp32(models, tiny_world, tmp_path):
    roberta, world = models["roberta"], tiny_world
    # Prune with calibration (Wanda) on the device; the mask is the same as on the CPU.
    masks = {}
    for device in (DEVICE, "cpu"):
        out = tmp_path / f"wanda-{device}"
        verb("prune", "--model", str(roberta), "--method", "wanda", "--level", "0.5",
             "--calibration", json.dumps({"source": "world", "samples": 8, "seq_len": 16}),
             "--world", str(world), "--device", device, "--out-mask", str(out / "mask.npz"),
             "--out-report", str(out / "report.json"))  # fmt: skip
        report = json.loads((out / "report.json").read_text())
        assert report["device"] == ("cpu" if device == "cpu" else resolve_name(device))
        masks[device] = out / "mask.npz"
    from pipeline.compress.masks import load_masks

    a, b = load_masks(masks[DEVICE]), load_masks(masks["cpu"])
    agree = sum(int((a[n] == b[n]).sum()) for n in a) / sum(a[n].numel() for n in a)
    assert agree > 0.99

    runs = {}
    for device in (DEVICE, "cpu"):
        cells = {
            "dense": dict(task="syn_sentiment", difficulty="fraction-1", compression="dense",
                          mode="dense"),
            "sparse": dict(task="syn_sentiment", difficulty="fraction-1",
                           compression="wanda-0.5", masks=str(masks["cpu"]), mode="sparse"),
        }  # fmt: skip
        for name, cell in cells.items():
            out = tmp_path / f"{name}-{device}"
            runs[name, device] = finetune(
                roberta, world, out, device, **cell, out_model=str(out / "finetuned")
            )
    for name in ("dense", "sparse"):
        _close(runs[name, DEVICE], runs[name, "cpu"], f"roberta {name}")

    lmc = {}
    for device in (DEVICE, "cpu"):
        out = tmp_path / f"lmc-{device}.json"
        verb("lmc", "--dense", str(tmp_path / "dense-cpu" / "finetuned"),
             "--sparse", str(tmp_path / "sparse-cpu" / "finetuned"), "--task", "syn_sentiment",
             "--world", str(world), "--protocol", json.dumps(PROTOCOL), "--alphas", "3",
             "--device", device, "--out", str(out))  # fmt: skip
        lmc[device] = json.loads(out.read_text())
    assert lmc[DEVICE]["devices"] == [_device_name()]
    assert lmc[DEVICE]["loss_barrier"] == pytest.approx(lmc["cpu"]["loss_barrier"], abs=1e-3)

    evaluations = {}
    for device in (DEVICE, "cpu"):
        out = tmp_path / f"evaluate-{device}.json"
        verb("evaluate", "--model", str(roberta), "--task", "syn_sentiment",
             "--world", str(world), "--masks", str(masks["cpu"]), "--device", device,
             "--out", str(out))  # fmt: skip
        evaluations[device] = json.loads(out.read_text())
    assert evaluations[DEVICE]["loss"] == pytest.approx(evaluations["cpu"]["loss"], rel=1e-3)

    # mBART fine-tuned on translation; Llama zero-shot on QA after SparseGPT on the device.
    for device in (DEVICE, "cpu"):
        runs["mbart", device] = finetune(
            models["mbart"], world, tmp_path / f"mbart-{device}", device,
            setting="languages", task="syn_translation", difficulty="lang-minority",
            task_options=json.dumps(TRANSLATION), compression="dense", mode="dense",
        )  # fmt: skip
    _close(runs["mbart", DEVICE], runs["mbart", "cpu"], "mbart")
    out = tmp_path / "sparsegpt"
    verb("prune", "--model", str(models["llama"]), "--method", "sparsegpt", "--level", "0.5",
         "--calibration", json.dumps({"source": "world", "samples": 8, "seq_len": 16}),
         "--world", str(world), "--device", DEVICE, "--out-mask", str(out / "mask.npz"),
         "--out-report", str(out / "report.json"),
         "--out-weights", str(out / "weights.safetensors"))  # fmt: skip
    for device in (DEVICE, "cpu"):
        runs["llama", device] = finetune(
            models["llama"], world, tmp_path / f"llama-{device}", device, setting="book",
            task="syn_triviaqa", difficulty="book-open", compression="sparsegpt-0.5",
            masks=str(out / "mask.npz"), mode="zero_shot",
        )  # fmt: skip
    _close(runs["llama", DEVICE], runs["llama", "cpu"], "llama zero-shot")


def resolve_name(device: str) -> str:
    from pipeline.device import resolve

    return resolve(device).device


@pytest.mark.skipif(not DEVICE.startswith("cuda"), reason="bf16 autocast is a GPU check")
def test_bf16_fine_tuning_and_zero_shot_run(models, tiny_world, tmp_path):
    record = finetune(
        models["roberta"], tiny_world, tmp_path / "bf16", DEVICE,
        protocol=json.dumps({"precision": "bf16", "tf32": True}), task="syn_sentiment",
        difficulty="fraction-1", compression="dense", mode="dense",
    )  # fmt: skip
    assert record["protocol"]["precision"] == "bf16" and record["protocol"]["tf32"] is True
    assert record["training"]["weights_dtype"] == "float32"  # fp32 master weights
    assert 0 < record["loss"] < 10 and 0 <= record["value"] <= 1
    zero = finetune(
        models["llama"], tiny_world, tmp_path / "bf16-zero", DEVICE, setting="book",
        protocol=json.dumps({"precision": "bf16"}), task="syn_triviaqa",
        difficulty="book-closed", compression="dense", mode="zero_shot",
    )  # fmt: skip
    assert zero["training"]["weights_dtype"] == "bfloat16"  # loaded in bf16 on the device
    assert zero["training"]["devices"] == [_device_name()]


def test_fine_tuning_throughput_beside_transformers_trainer():
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_trainer import compare

    result = compare(DEVICE, layers=4, hidden=256, batch_size=32, max_length=64,
                     examples=512, rounds=2)  # fmt: skip
    steps = result["steps_per_epoch"]
    for name in ("ours", "trainer"):
        seconds = result["best_s"][name]
        print(f"\n{name:<8} {seconds:.2f} s/epoch, {steps / seconds:.1f} steps/s on {DEVICE}")
    print(f"ratio ours / Trainer: {result['ratio']:.3f} (target <= 1.0)")
    assert result["ratio"] < 2.0  # a regression guard; the target is printed
