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
    p.add_argument("--world", type=Path, help="synthetic world folder (synthetic tasks)")
    p.add_argument("--protocol", required=True, help="fine-tuning protocol as JSON")
    p.add_argument("--alphas", type=int, default=11, help="number of grid points in [0, 1]")
    p.add_argument("--cell", default="{}", help="cell identity (JSON) copied into each row")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--threads", type=int, default=1)


def run(args: argparse.Namespace) -> None:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from pipeline.finetune.evaluation import evaluate_rows
    from pipeline.io import write_json
    from pipeline.lmc import barrier, lmc_path
    from pipeline.tasks.registry import get_task

    torch.set_num_threads(args.threads)
    task = get_task(args.task)
    protocol = json.loads(args.protocol)
    model = AutoModelForSequenceClassification.from_pretrained(str(args.dense))
    tokenizer = AutoTokenizer.from_pretrained(str(args.dense))
    sparse_model = AutoModelForSequenceClassification.from_pretrained(str(args.sparse))
    dense_state = {k: v.clone() for k, v in model.state_dict().items()}
    sparse_state = sparse_model.state_dict()
    rows = task.load_split("validation", args.world)
    alphas = torch.linspace(0, 1, args.alphas).tolist()
    result = lmc_path(
        model,
        dense_state,
        sparse_state,
        alphas,
        lambda m: evaluate_rows(
            m, tokenizer, task, rows, protocol["max_length"], protocol.get("eval_batch_size", 256)
        ),
    )
    cell = json.loads(args.cell)
    metric_values = [p["metrics"][task.metric] for p in result["points"]]
    metric_barrier = barrier(metric_values, higher_is_worse=False)
    rows_out = [
        {
            **cell,
            "task": task.name,
            "alpha": p["alpha"],
            "loss": p["loss"],
            "metric": task.metric,
            "value": p["metrics"][task.metric],
            "loss_barrier": result["loss_barrier"],
            "metric_barrier": metric_barrier,
        }
        for p in result["points"]
    ]
    write_json(
        args.out,
        {
            "rows": rows_out,
            "loss_barrier": result["loss_barrier"],
            "metric_barrier": metric_barrier,
        },
    )
    print(
        f"LMC {task.name}: loss barrier {result['loss_barrier']:.4f}, "
        f"{task.metric} barrier {metric_barrier:.4f}"
    )
