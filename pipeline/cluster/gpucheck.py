"""The GPU check before a cluster run: ``make gpu-check`` (``python -m pipeline.cluster.gpucheck``).

It proves the paper path on the machine's GPU and measures what the cost model needs, with
the machine's own Python (torch, transformers, accelerate; no snakemake, no datasets, no
network, no install step). Asked for CUDA (the default) on a machine where CUDA is not
usable it fails at once, naming torch's CUDA and the driver's: it never passes without a GPU.

1. Every transfer mode (dense, zero_shot, dense_freeze, sparse, sparse_to_dense, ptq, qat)
   runs through the project's own ``run_cell`` on the device, in fp16 and in bf16, on a tiny
   model pre-trained on a tiny synthetic world: every parameter on the device, each mode's
   promise verified (pruned weights zero, frozen weights fixed, weights on their RTN grid).
2. A fine-tune subprocess on the device gets SIGTERM mid-run (SLURM's warning), writes its
   checkpoint and exits; started again it resumes and ends with the uninterrupted result.
3. Sharded ``.bin`` checkpoints (the hub layout of mbart-large-cc25 and vicuna-7b-v1.3) load
   straight onto the device in fp16, through the project's loader; its rate gives
   ``load_minutes``.
4. Wanda and SparseGPT prune one Vicuna-7B block at its real width (4096 x 11008, fp16,
   2,048-token calibration samples) on the device.
5. One block of every model of the paper study at its real width, random weights (speed and
   memory do not depend on their values), at one and two blocks deep: train, forward and
   decode rates and peak memory, extrapolated to the model's real depth (the per-block cost
   is the difference of the two; the rest is the embeddings and the head).

Writes ``throughput.yaml`` in the form ``slurm/throughput.yaml`` reads (paste its ``gpus:``
block there) and ``report.json`` (peak memory, achieved TFLOP/s per model, every check).
``--small`` shrinks widths and batches so the same code runs on a CPU in a test.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

# The paper study's models at their real width (their hub configs) and the shapes their
# jobs run at (configs/paper.yaml: batch, max length, precision; evaluation batch; decoding).
MODELS: dict[str, dict[str, Any]] = {
    "roberta-base": {
        "arch": "roberta",
        "config": {"vocab_size": 50265, "hidden_size": 768, "num_attention_heads": 12,
                   "intermediate_size": 3072, "max_position_embeddings": 514,
                   "type_vocab_size": 1, "pad_token_id": 1},
        "layers": 12, "batch": 32, "seq": 128, "precision": "fp32", "eval_batch": 256,
    },
    "roberta_large": {
        "arch": "roberta",
        "config": {"vocab_size": 50265, "hidden_size": 1024, "num_attention_heads": 16,
                   "intermediate_size": 4096, "max_position_embeddings": 514,
                   "type_vocab_size": 1, "pad_token_id": 1},
        "layers": 24, "batch": 16, "seq": 512, "precision": "fp32", "eval_batch": 64,
    },
    "mbart_cc25": {
        "arch": "mbart",
        "config": {"vocab_size": 250027, "d_model": 1024, "encoder_attention_heads": 16,
                   "decoder_attention_heads": 16, "encoder_ffn_dim": 4096,
                   "decoder_ffn_dim": 4096, "max_position_embeddings": 1024,
                   "scale_embedding": True, "pad_token_id": 1, "bos_token_id": 0,
                   "eos_token_id": 2, "decoder_start_token_id": 2},
        "layers": 12, "batch": 16, "seq": 256, "precision": "fp16", "eval_batch": 32,
        "beams": 5, "new_tokens": 32,
    },
    "bart_large": {
        "arch": "bart",
        "config": {"vocab_size": 50265, "d_model": 1024, "encoder_attention_heads": 16,
                   "decoder_attention_heads": 16, "encoder_ffn_dim": 4096,
                   "decoder_ffn_dim": 4096, "max_position_embeddings": 1024,
                   "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2,
                   "decoder_start_token_id": 2},
        "layers": 12, "batch": 16, "seq": 256, "precision": "fp32", "eval_batch": 32,
        "beams": 1, "new_tokens": 64,
    },
    "vicuna_7b": {  # zero-shot only: forward and decoding, loaded in fp16
        "arch": "llama",
        "config": {"vocab_size": 32000, "hidden_size": 4096, "num_attention_heads": 32,
                   "num_key_value_heads": 32, "intermediate_size": 11008,
                   "max_position_embeddings": 2048, "pad_token_id": 0},
        "layers": 32, "batch": 0, "seq": 2048, "precision": "fp16", "eval_batch": 8,
        "beams": 1, "new_tokens": 32,
    },
}  # fmt: skip
SMALL = {  # --small: the same code at widths a CPU test runs in seconds
    "config": {"vocab_size": 512, "hidden_size": 32, "d_model": 32, "num_attention_heads": 2,
               "num_key_value_heads": 2, "encoder_attention_heads": 2,
               "decoder_attention_heads": 2, "intermediate_size": 64, "encoder_ffn_dim": 64,
               "decoder_ffn_dim": 64, "max_position_embeddings": 128},
    "batch": 4, "seq": 16, "eval_batch": 4, "new_tokens": 4,
}  # fmt: skip
TINY_WORLD = {
    "seed": 7, "n_entities": 12, "n_relations": 2, "n_objects": 8, "n_adjectives": 8,
    "languages": {"maj_a": 0.7, "min_b": 0.2, "min_c": 0.1}, "corpus_sentences": 400,
    "tasks": {"syn_sentiment": {"train": 96, "validation": 48, "noise": 0.05,
                                "seen_fraction": 0.5}},
}  # fmt: skip
TINY_SIZE = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2,
             "intermediate_size": 64}  # fmt: skip
TINY_PRETRAIN = {"steps": 20, "batch_size": 16, "lr": 0.001, "max_length": 24, "seed": 0}
TINY_PROTOCOL = {"lr": 1e-3, "epochs": 1, "batch_size": 16, "max_length": 24}  # 6 steps


class Check:
    """Named checks: each runs, its failure is recorded (not raised) so every check runs."""

    def __init__(self) -> None:
        self.results: dict[str, Any] = {}

    def __call__(self, name: str, fn: Callable[[], Any]) -> Any:
        start = time.time()
        try:
            value = fn()
        except Exception as error:  # noqa: BLE001  (reported, and the check fails)
            self.results[name] = {"ok": False, "error": f"{type(error).__name__}: {error}"}
            print(f"FAIL {name}: {type(error).__name__}: {error}", flush=True)
            return None
        self.results[name] = {"ok": True, "seconds": round(time.time() - start, 1)}
        print(f"ok   {name} ({time.time() - start:.1f} s)", flush=True)
        return value

    @property
    def failed(self) -> list[str]:
        return [name for name, r in self.results.items() if not r["ok"]]


def _sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _timed(device: str, fn: Callable[[], Any], repeat: int) -> float:
    """Seconds per call of ``fn`` after one warm-up call."""
    fn()
    _sync(device)
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    _sync(device)
    return (time.perf_counter() - start) / repeat


def _peak_reset(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def _peak_gib(device: str) -> float:
    import torch

    return torch.cuda.max_memory_allocated() / 2**30 if device.startswith("cuda") else 0.0


# ---- 1, 2: the project's own code paths on the device --------------------------------------


def tiny_setup(work: Path) -> tuple[Path, Path, Path]:
    """(world, pre-trained tiny RoBERTa, its magnitude-0.5 mask file)."""
    from transformers import AutoModel

    from pipeline.compress.magnitude import global_magnitude_masks
    from pipeline.compress.masks import save_masks
    from pipeline.compress.prunable import prunable_parameters
    from pipeline.models.pretrain import pretrain
    from pipeline.world import build_world

    world, model = work / "world", work / "roberta"
    build_world(TINY_WORLD, world)
    model.mkdir(parents=True)
    pretrain(world, "roberta", TINY_SIZE, TINY_PRETRAIN, model, progress=False)
    mask = work / "mask" / "mask.npz"
    mask.parent.mkdir()
    params = prunable_parameters(AutoModel.from_pretrained(str(model)))
    save_masks(mask, global_magnitude_masks(params, "0.5"))
    return world, model, mask


def every_mode(
    device: str, precision: str, world: Path, model: Path, mask: Path, work: Path
) -> None:
    """Each transfer mode through ``run_cell`` on ``device``; every mode verifies itself."""
    from pipeline.finetune.protocol import Protocol
    from pipeline.finetune.run import run_cell
    from pipeline.finetune.spec import RunSpec

    protocol = Protocol.from_dict({**TINY_PROTOCOL, "precision": precision, "seed": 0})
    expected = "cuda:0" if device.startswith("cuda") else device
    dense_dir = work / f"dense-{precision}"
    cells = [
        ("dense", "dense", None, model, dense_dir),
        ("zero_shot", "magnitude-0.5", mask, model, None),
        ("dense_freeze", "magnitude-0.5", mask, model, None),
        ("sparse", "magnitude-0.5", mask, model, None),
        ("sparse_to_dense", "magnitude-0.5", mask, model, None),
        ("qat", "rtn-4bit", None, model, None),
        ("ptq", "rtn-4bit", None, dense_dir, None),
    ]
    for mode, compression, masks, start, out in cells:
        record = run_cell(RunSpec(
            study="gpucheck", setting="data_fraction", model_name="tiny", model_dir=start,
            task_name="syn_sentiment", world_dir=world, difficulty="fraction-1",
            compression=compression, masks_path=masks, mode_name=mode, protocol=protocol,
            out_dir=out, progress=False, device=device,
        ))  # fmt: skip
        devices = record["training"]["devices"]
        if devices != [expected] or not 0 <= record["value"] <= 1:
            raise AssertionError(f"{mode}: parameters on {devices}, value {record['value']}")


def _finetune_command(model: Path, world: Path, mask: Path, out: Path, device: str) -> list[str]:
    spec = {
        "study": "gpucheck",
        "setting": "data_fraction",
        "model_name": "tiny",
        "model_dir": str(model),
        "task_name": "syn_sentiment",
        "world_dir": str(world),
        "difficulty": "fraction-1",
        "compression": "magnitude-0.5",
        "masks_path": str(mask),
        "mode_name": "sparse",
        "protocol": {**TINY_PROTOCOL, "seed": 0},
        "checkpoint_minutes": 0,
        "out": str(out / "metrics.json"),
        "device": device,
        "progress": False,
    }
    return [sys.executable, "-m", "pipeline", "finetune", json.dumps(spec)]


def signal_and_resume(device: str, world: Path, model: Path, mask: Path, work: Path) -> dict:
    """SIGTERM at step 3 of 6: a checkpoint, exit 1; the rerun resumes and ends as a run
    that was never interrupted (the same loss, up to GPU reduction order)."""
    from pipeline.finetune.trainer import HOLD_ENV

    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    whole, stopped = work / "whole", work / "stopped"
    subprocess.run(_finetune_command(model, world, mask, whole, device), env=env, check=True,
                   capture_output=True, cwd=ROOT, timeout=300)  # fmt: skip
    command = _finetune_command(model, world, mask, stopped, device)
    proc = subprocess.Popen(command, env={**env, HOLD_ENV: "3"}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT)  # fmt: skip
    try:
        for line in proc.stdout:
            if line.startswith("holding at step 3"):
                proc.send_signal(signal.SIGTERM)
                break
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    if proc.returncode != 1 or "SIGTERM at step 3" not in err:
        raise AssertionError(f"the signalled run ended with {proc.returncode}: {err[-1500:]}")
    subprocess.run(command, env=env, check=True, capture_output=True, cwd=ROOT, timeout=300)
    a, b = (json.loads((d / "metrics.json").read_text()) for d in (whole, stopped))
    if b["training"]["resumed_from_step"] != 3 or not math.isclose(
        a["loss"], b["loss"], rel_tol=1e-3, abs_tol=1e-4
    ):
        raise AssertionError(f"resumed {b['training']['resumed_from_step']}, loss "
                             f"{b['loss']} vs {a['loss']}")  # fmt: skip
    return {"loss": a["loss"], "resumed_loss": b["loss"]}


# ---- 3, 4, 5: real widths -----------------------------------------------------------------


def model_config(name: str, layers: int, small: bool) -> Any:
    from transformers import AutoConfig

    spec = MODELS[name]
    kwargs = dict(spec["config"])
    if small:
        kwargs |= {k: v for k, v in SMALL["config"].items() if k in kwargs}
    if spec["arch"] in ("bart", "mbart"):
        kwargs |= {"encoder_layers": layers, "decoder_layers": layers}
    else:
        kwargs["num_hidden_layers"] = layers
    return AutoConfig.for_model(spec["arch"], **kwargs)


def full_parameters(name: str, small: bool) -> int:
    """Parameters of the model at its real depth (built on the meta device: no memory)."""
    import torch
    from transformers import AutoModel

    with torch.device("meta"):
        model = AutoModel.from_config(model_config(name, MODELS[name]["layers"], small))
    return sum(p.numel() for p in model.parameters())


def _shape(name: str, small: bool) -> dict[str, int]:
    spec = MODELS[name]
    keys = ("batch", "seq", "eval_batch", "new_tokens")
    shape = {k: spec.get(k, 0) for k in keys}
    if small:
        shape |= {k: min(v, SMALL[k]) if v else 0 for k, v in shape.items()}
    return shape


def _head_class(name: str) -> Any:
    import transformers as t

    arch = MODELS[name]["arch"]
    if arch == "roberta":
        return t.AutoModelForSequenceClassification
    return t.AutoModelForSeq2SeqLM if arch in ("bart", "mbart") else t.AutoModelForCausalLM


def measure_blocks(name: str, layers: int, device: str, small: bool) -> dict[str, float]:
    """Seconds per train step, forward batch and decode call of ``name`` at ``layers``
    blocks, and the peak memory of each, random weights on ``device``."""
    import torch

    from pipeline.device import PRECISION_DTYPES, allow_tf32, autocast

    spec, shape = MODELS[name], _shape(name, small)
    config = model_config(name, layers, small)
    precision = spec["precision"]
    allow_tf32(True)
    vocab = config.vocab_size
    out: dict[str, float] = {}

    def tokens(batch: int, seq: int) -> dict[str, Any]:
        ids = torch.randint(3, vocab, (batch, seq), device=device)
        return {"input_ids": ids, "attention_mask": torch.ones_like(ids)}

    encdec = spec["arch"] in ("bart", "mbart")
    if shape["batch"]:  # trains: fp32 weights, AdamW, autocast in the protocol's precision
        _peak_reset(device)
        config.num_labels = 3  # a classification head (RoBERTa); ignored by the others
        with torch.device(device):
            model = _head_class(name).from_config(config)
        model.train()
        batch = tokens(shape["batch"], shape["seq"])
        if encdec:
            batch["labels"] = tokens(shape["batch"], shape["seq"])["input_ids"]
        else:
            batch["labels"] = torch.randint(0, 3, (shape["batch"],), device=device)
        fused = device.startswith("cuda")
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5, fused=fused)
        scaler = torch.amp.GradScaler(device.partition(":")[0], enabled=precision == "fp16")

        def step() -> None:
            with autocast(device, precision):
                loss = model(**batch).loss
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            optimizer.zero_grad(set_to_none=True)

        out["train_s"] = _timed(device, step, 3)
        out["train_peak_gib"] = _peak_gib(device)
        model = optimizer = None  # freed before the evaluation model is built
    _peak_reset(device)
    dtype = getattr(torch, PRECISION_DTYPES[precision])
    with torch.device(device):
        model = _head_class(name).from_config(config, dtype=dtype).eval()
    batch = tokens(shape["eval_batch"], shape["seq"])
    if encdec:
        batch["labels"] = batch["input_ids"]
    with torch.no_grad():
        out["forward_s"] = _timed(device, lambda: model(**batch), 3)
        out["forward_peak_gib"] = _peak_gib(device)
        if shape["new_tokens"]:
            prompts = tokens(shape["eval_batch"], shape["seq"] // 2)
            new = shape["new_tokens"]
            settings = {"max_new_tokens": new, "min_new_tokens": new, "do_sample": False,
                        "num_beams": spec.get("beams", 1), "no_repeat_ngram_size": 0,
                        "pad_token_id": config.pad_token_id}  # fmt: skip
            out["generate_s"] = _timed(device, lambda: model.generate(**prompts, **settings), 1)
            out["generate_peak_gib"] = _peak_gib(device)
    _peak_reset(device)
    return out


def rates(name: str, one: dict, two: dict, small: bool) -> dict[str, Any]:
    """Tokens per second of the whole model from one- and two-block timings (the block's
    cost is their difference, the rest the embeddings and head), in throughput.yaml's
    units: padded tokens for train and forward, new tokens x beams for generate."""
    spec, shape = MODELS[name], _shape(name, small)
    depth = spec["layers"]

    def full(key: str) -> float:
        return one[key] + (depth - 1) * max(two[key] - one[key], 0.0)

    row: dict[str, Any] = {"train": 0, "forward": 0, "generate": 0}
    if "train_s" in one:
        row["train"] = round(shape["batch"] * shape["seq"] / full("train_s"))
    row["forward"] = round(shape["eval_batch"] * shape["seq"] / full("forward_s"))
    if "generate_s" in one:
        new = shape["eval_batch"] * spec.get("beams", 1) * shape["new_tokens"]
        row["generate"] = round(new / full("generate_s"))
    peaks = {k: round(full(k), 2) for k in one if k.endswith("_peak_gib")}
    return {"rates": row, "peak_gib": peaks}


def sharded_bin_load(device: str, small: bool, work: Path) -> float:
    """Write one mBART block as sharded ``.bin`` files with their index (the hub layout),
    load it straight onto ``device`` in fp16 through the project's seq2seq loader, check
    every weight arrived; returns the load rate in bytes per second."""
    import torch

    from pipeline.device import model_devices, resolve
    from pipeline.finetune.adapters.seq2seq import Seq2SeqGeneration

    config = model_config("mbart_cc25", 1, small)
    model = _head_class("mbart_cc25").from_config(config)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    folder = work / "sharded"
    folder.mkdir()
    names = sorted(state)
    shards = [names[: len(names) // 2], names[len(names) // 2 :]]
    weight_map = {}
    for i, part in enumerate(shards, 1):
        file = f"pytorch_model-{i:05d}-of-{len(shards):05d}.bin"
        torch.save({k: state[k] for k in part}, folder / file)
        weight_map |= dict.fromkeys(part, file)
    total = sum(t.numel() * t.element_size() for t in state.values())
    (folder / "pytorch_model.bin.index.json").write_text(
        json.dumps({"metadata": {"total_size": total}, "weight_map": weight_map})
    )
    config.save_pretrained(str(folder))
    placement = resolve(device)
    _sync(device)
    start = time.perf_counter()
    loaded = Seq2SeqGeneration().load(str(folder), None, None, dtype=torch.float16,
                                      device_map=placement.device_map)  # fmt: skip
    _sync(device)
    seconds = time.perf_counter() - start
    expected = "cuda:0" if device.startswith("cuda") else device
    if model_devices(loaded) != {expected}:
        raise AssertionError(f"loaded onto {model_devices(loaded)}, not {expected}")
    reference = model.model.encoder.layers[0].fc1.weight.half()
    if not torch.equal(loaded.model.encoder.layers[0].fc1.weight.cpu(), reference):
        raise AssertionError("a weight loaded from the shards differs from the one saved")
    return total / 2 / seconds  # fp32 on disk, fp16 on the device: bytes of the fp16 model


def calibrated_pruning(method_name: str, device: str, small: bool) -> dict[str, float]:
    """``method_name`` on one Vicuna-7B block at its real width, fp16 on ``device``."""
    import torch
    from transformers import AutoModel

    from pipeline.compress.base import Target
    from pipeline.compress.prunable import prunable_parameters
    from pipeline.compress.registry import get_method

    config = model_config("vicuna_7b", 1, small)
    with torch.device(device):
        model = AutoModel.from_config(config, dtype=torch.float16).eval()
    seq = _shape("vicuna_7b", small)["seq"]
    samples = 2 if small else 8
    batches = [
        {"input_ids": torch.randint(3, config.vocab_size, (1, seq), device=device)}
        for _ in range(samples)
    ]
    params = prunable_parameters(model)
    method = get_method(method_name)
    _peak_reset(device)
    _sync(device)
    start = time.perf_counter()
    masks = method.compress(Target(model, params, 0, batches, method.parse_options({})), "0.5")
    _sync(device)
    seconds = time.perf_counter() - start
    kept = sum(int(m.sum()) for m in masks.values()) / sum(m.numel() for m in masks.values())
    if abs(kept - 0.5) > 0.01:
        raise AssertionError(f"{method_name}: kept {kept:.3f} of the weights, not 0.5")
    # 128 samples x 32 blocks in the study (configs/paper.yaml, compression.calibration).
    per_block_sample = seconds / samples
    return {
        "seconds_per_block_and_sample": round(per_block_sample, 4),
        "estimated_minutes_for_vicuna_7b": round(per_block_sample * 128 * 32 / 60, 1),
        "peak_gib": round(_peak_gib(device), 2),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m pipeline.cluster.gpucheck", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--device", default="cuda", help="cuda (the check) or cpu (develop it)")
    p.add_argument("--out", type=Path, default=ROOT / "results" / "gpu-check")
    p.add_argument("--gpu-name", default=None, help="the block's name in throughput.yaml")
    p.add_argument("--small", action="store_true", help="small widths (a CPU test)")
    args = p.parse_args(argv)
    from pipeline.device import cuda_report, resolve

    try:
        placement = resolve(args.device)  # no GPU when one is asked for: fail, loudly
    except ValueError as error:
        print(f"gpu-check: FAILED: {error}", file=sys.stderr)
        return 1
    device = placement.device
    report: dict[str, Any] = {"device": cuda_report() if placement.is_cuda else "cpu"}
    print(json.dumps(report["device"], indent=1), flush=True)
    check = Check()
    precisions = ("fp16", "bf16") if placement.is_cuda else ("fp32",)
    with tempfile.TemporaryDirectory(prefix="gpucheck-") as tmp:
        work = Path(tmp)
        setup = check("tiny world and model", lambda: tiny_setup(work))
        if setup is not None:
            for precision in precisions:
                check(f"every transfer mode in {precision}",
                      lambda p=precision: every_mode(device, p, *setup, work))  # fmt: skip
            resume = work / "resume"
            report["resume"] = check(
                "SIGTERM checkpoint and resume", lambda: signal_and_resume(device, *setup, resume)
            )
        load_rate = check(
            "sharded .bin onto the device", lambda: sharded_bin_load(device, args.small, work)
        )
    for method in ("wanda", "sparsegpt"):
        report[method] = check(
            f"{method} at real width", lambda m=method: calibrated_pruning(m, device, args.small)
        )
    table, models = {}, {}
    for name, spec in MODELS.items():

        def measured(name: str = name) -> dict:
            one = measure_blocks(name, 1, device, args.small)
            two = measure_blocks(name, 2, device, args.small)
            return rates(name, one, two, args.small)

        result = check(f"{name}: one and two blocks at real width", measured)
        if result is None:
            continue
        params = full_parameters(name, args.small)
        bytes_ = params * (2 if spec["precision"] != "fp32" else 4)
        minutes = 1 + bytes_ / load_rate / 60 if load_rate else None  # +1: start, outputs
        table[name] = {**result["rates"], "load_minutes": round(minutes, 1) if minutes else None}
        r = result["rates"]
        models[name] = {
            "parameters": params,
            "peak_gib": result["peak_gib"],
            "train_tflops": round(6 * params * r["train"] / 1e12, 1),
            "forward_tflops": round(2 * params * r["forward"] / 1e12, 1),
        }
    report |= {"models": models, "checks": check.results}
    gpu = args.gpu_name or (report["device"]["device_name"] if placement.is_cuda else "cpu")
    gpu = gpu.lower().replace("nvidia ", "").replace(" ", "_")
    args.out.mkdir(parents=True, exist_ok=True)
    import yaml

    from pipeline.io import write_json

    (args.out / "throughput.yaml").write_text(
        "# Measured by `python -m pipeline.cluster.gpucheck` (tokens/s on one GPU; see"
        " slurm/throughput.yaml)\n" + yaml.safe_dump({"gpus": {gpu: table}}, sort_keys=False)
    )
    write_json(args.out / "report.json", report)
    print(yaml.safe_dump({"gpus": {gpu: table}}, sort_keys=False))
    print(json.dumps(models, indent=1))
    if check.failed:
        print(f"gpu-check: FAILED: {', '.join(check.failed)}", file=sys.stderr)
        return 1
    print(f"gpu-check: every check passed on {device}; wrote {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
