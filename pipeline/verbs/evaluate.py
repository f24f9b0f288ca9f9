"""Evaluate a fine-tuned model folder on a task's validation split (metrics and loss).

Fine-tuning cells evaluate in-process with the same function; this verb re-checks a saved
model, e.g. after a change to the metric code."""

import argparse
from pathlib import Path

HELP = "evaluate a fine-tuned model folder on a task's validation split"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True, type=Path, help="fine-tuned model folder")
    p.add_argument("--task", required=True)
    p.add_argument("--world", type=Path, help="synthetic world folder (synthetic tasks)")
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--out", required=True, type=Path, help="evaluation JSON")


def run(args: argparse.Namespace) -> None:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from pipeline.finetune.evaluation import evaluate_rows
    from pipeline.io import write_json
    from pipeline.tasks.registry import get_task

    task = get_task(args.task)
    model = AutoModelForSequenceClassification.from_pretrained(str(args.model))
    tokenizer = AutoTokenizer.from_pretrained(str(args.model))
    rows = task.load_split("validation", args.world)
    result = evaluate_rows(model, tokenizer, task, rows, args.max_length, args.batch_size)
    write_json(args.out, {"task": task.name, "model": str(args.model), **result})
    print(result["metrics"])
