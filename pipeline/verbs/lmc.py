"""Interpolate between the dense and the sparse fine-tuned model of one cell over a grid of
α, evaluating loss and metric at each point, and report the barrier (paper Fig. 10)."""

import argparse
import json
from pathlib import Path

HELP = "linear mode connectivity between dense and sparse fine-tuned models"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dense", required=True, type=Path, help="dense fine-tuned model folder")
    p.add_argument("--sparse", required=True, type=Path, help="sparse fine-tuned model folder")
    p.add_argument("--task", required=True)
    p.add_argument(
        "--world",
        "--data",
        dest="world",
        type=Path,
        help="synthetic world folder (synthetic tasks) or staged data folder (hub tasks)",
    )
    p.add_argument("--protocol", required=True, help="fine-tuning protocol as JSON")
    p.add_argument("--alphas", type=int, default=11, help="number of grid points in [0, 1]")
    p.add_argument("--cell", default="{}", help="cell identity (JSON) copied into each row")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--threads", type=int, default=1)


def run(args: argparse.Namespace) -> None:
    import torch

    from pipeline.finetune.run import load_for_task
    from pipeline.io import write_json
    from pipeline.lmc import lmc_path
    from pipeline.tasks.registry import get_task

    torch.set_num_threads(args.threads)
    task = get_task(args.task)
    protocol = json.loads(args.protocol)
    adapter, model, tokenizer = load_for_task(args.dense, task, seed=0)
    _, sparse_model, _ = load_for_task(args.sparse, task, seed=0)
    dense_state = {k: v.clone() for k, v in model.state_dict().items()}
    rows = task.load_split("validation", args.world)
    result = lmc_path(
        model,
        dense_state,
        sparse_model.state_dict(),
        torch.linspace(0, 1, args.alphas).tolist(),
        lambda m: adapter.evaluate(
            m, tokenizer, task, rows, protocol["max_length"], protocol.get("eval_batch_size", 256)
        ),
        task.metric,
    )
    barriers = {k: result[k] for k in ("loss_barrier", "metric_barrier")}
    rows_out = [
        {
            **json.loads(args.cell),
            "task": task.name,
            "alpha": p["alpha"],
            "loss": p["loss"],
            "metric": task.metric,
            "value": p["metrics"][task.metric],
            **barriers,
        }
        for p in result["points"]
    ]
    write_json(args.out, {"rows": rows_out, **barriers})
    print(
        f"LMC {task.name}: loss barrier {barriers['loss_barrier']:.4f}, "
        f"{task.metric} barrier {barriers['metric_barrier']:.4f}"
    )
