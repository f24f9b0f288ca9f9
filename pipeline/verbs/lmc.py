"""Interpolate between the dense and the sparse fine-tuned model of one cell over a grid of
α, evaluating loss and metric at each point, and report the barrier (paper Fig. 10).

Both end points and the interpolated model live on --device (default: cuda if available):
the interpolation is a handful of tensor ops there, and each α is one evaluation pass of
the validation set in large, length-sorted batches."""

import argparse
import json
from pathlib import Path

from pipeline.device import add_device_argument
from pipeline.verbs import choices

HELP = "linear mode connectivity between dense and sparse fine-tuned models"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dense", required=True, type=Path, help="dense fine-tuned model folder")
    p.add_argument("--sparse", required=True, type=Path, help="sparse fine-tuned model folder")
    choices.add_task_arguments(p)
    p.add_argument("--protocol", required=True, help="fine-tuning protocol as JSON")
    p.add_argument("--alphas", type=int, default=11, help="number of grid points in [0, 1]")
    p.add_argument("--cell", default="{}", help="cell identity (JSON) copied into each row")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--threads", type=int, default=1)
    add_device_argument(p)


def run(args: argparse.Namespace) -> None:
    import torch

    from pipeline.device import allow_tf32, model_devices, resolve
    from pipeline.finetune.run import load_for_task
    from pipeline.io import write_json
    from pipeline.lmc import lmc_path
    from pipeline.tasks.registry import get_task

    torch.set_num_threads(args.threads)
    placement = resolve(args.device)
    protocol = json.loads(args.protocol)
    allow_tf32(bool(protocol.get("tf32", False)))
    task = get_task(args.task)
    load = {"dtype": "float32", "device_map": placement.device_map}
    adapter, model, tokenizer = load_for_task(args.dense, task, 0, **load)
    _, sparse_model, _ = load_for_task(args.sparse, task, 0, **load)
    dense_state = {k: v.clone() for k, v in model.state_dict().items()}
    sparse_state = sparse_model.state_dict()
    print(f"LMC on {placement.device}: parameters on {sorted(model_devices(model))}", flush=True)
    rows = task.load_split("validation", args.world)
    result = lmc_path(
        model,
        dense_state,
        sparse_state,
        torch.linspace(0, 1, args.alphas).tolist(),
        lambda m: adapter.evaluate(
            m, tokenizer, task, rows, protocol["max_length"], protocol.get("eval_batch_size", 256)
        ),
        task.metric,
    )
    barriers = {k: result[k] for k in ("loss_barrier", "metric_barrier")}
    cell = json.loads(args.cell)
    if "seed" in cell:  # wildcards arrive as strings; the LMC table types the seed as int64
        cell["seed"] = int(cell["seed"])
    rows_out = [
        {
            **cell,
            "task": task.name,
            "alpha": p["alpha"],
            "loss": p["loss"],
            "metric": task.metric,
            "value": p["metrics"][task.metric],
            **barriers,
        }
        for p in result["points"]
    ]
    devices = sorted(model_devices(model))
    write_json(
        args.out, {"rows": rows_out, **barriers, "device": placement.device, "devices": devices}
    )
    print(
        f"LMC {task.name}: loss barrier {barriers['loss_barrier']:.4f}, "
        f"{task.metric} barrier {barriers['metric_barrier']:.4f}"
    )
