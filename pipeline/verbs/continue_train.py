"""Continue training a staged model on translation pairs (paper setting 2's mBART, Tang et
al. 2020's recipe: pipeline/models/continued.py); the output is a model folder in the hub
layout that every later job of the setting reads."""

import argparse
import json
from pathlib import Path

from pipeline.device import add_device_argument

HELP = "continue training a staged seq2seq model on language pairs (setting 2's mBART)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True, type=Path, help="the staged model it starts from")
    p.add_argument("--of", required=True, help="the starting model's config name (recorded)")
    p.add_argument("--name", required=True, help="this model's config name (error messages)")
    p.add_argument("--recipe", required=True, help="models.<name>.continued_training as JSON")
    p.add_argument("--data", required=True, type=Path, help="the staged data folder")
    p.add_argument("--out", required=True, type=Path, help="output model folder")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    add_device_argument(p)


def run(args: argparse.Namespace) -> None:
    import torch

    from pipeline.device import resolve
    from pipeline.io import atomic_dir
    from pipeline.models.continued import Recipe, continue_train

    torch.set_num_threads(args.threads)
    recipe = Recipe.from_spec(json.loads(args.recipe), f"models.{args.name}.continued_training")
    placement = resolve(args.device)
    with atomic_dir(args.out) as tmp:
        record = continue_train(args.model, args.data, recipe, tmp, placement.device, args.of)
    print(json.dumps({k: record[k] for k in ("steps", "target_tokens", "loss_first", "loss_last")}))
