"""Evaluate a model folder on a task's validation split (metrics and loss), by
classification or by generation as the task and architecture require.

Fine-tuning cells evaluate in-process with the same code; this verb re-checks a saved
model, e.g. after a change to the metric code, and evaluates without fine-tuning
("zero-shot"): with --masks the pruned weights are zeroed first."""

import argparse
from pathlib import Path

from pipeline.device import add_device_argument
from pipeline.verbs import choices

HELP = "evaluate a model folder (optionally pruned by a mask) on a task's validation split"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True, type=Path, help="model folder")
    choices.add_task_arguments(p)
    p.add_argument("--masks", type=Path, help="mask file: zero the pruned weights first")
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--seed", type=int, default=0, help="seeds a head the folder lacks")
    p.add_argument("--out", required=True, type=Path, help="evaluation JSON")
    p.add_argument("--out-examples", type=Path, help="per-example outcomes (Parquet)")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    add_device_argument(p)


def run(args: argparse.Namespace) -> None:
    import torch

    from pipeline.compress.masks import load_masks
    from pipeline.compress.prunable import prunable_parameters, sparsity_report
    from pipeline.device import resolve
    from pipeline.examples import item_ids, write_examples
    from pipeline.finetune.modes.base import check_mask_names
    from pipeline.finetune.run import load_for_task
    from pipeline.io import write_json
    from pipeline.tasks.chance import chance_level
    from pipeline.tasks.registry import get_task

    torch.set_num_threads(args.threads)
    placement = resolve(args.device)
    task = get_task(args.task)
    adapter, model, tokenizer = load_for_task(
        args.model, task, args.seed, device_map=placement.device_map
    )
    params = prunable_parameters(model)
    if args.masks is not None:
        masks = load_masks(args.masks)
        check_mask_names(params, masks)
        with torch.no_grad():  # boolean, in place, each mask freed once applied
            for name in list(masks):
                param = params[name]
                param.masked_fill_(~masks.pop(name).to(param.device, torch.bool), 0)
    rows = task.load_split("validation", args.world)
    result = adapter.evaluate(model, tokenizer, task, rows, args.max_length, args.batch_size)
    examples = result.pop("examples")
    if args.out_examples is not None:
        write_examples(args.out_examples, examples | {"item_id": item_ids(task, rows)})
    write_json(
        args.out,
        {
            "task": task.name,
            "model": str(args.model),
            "masks": str(args.masks) if args.masks else None,
            "device": placement.device,
            "achieved_sparsity": sparsity_report(params)["achieved_sparsity"],
            "chance": chance_level(task, rows),
            **result,
        },
    )
    print(result["metrics"])
