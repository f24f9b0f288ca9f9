"""Stage a model: pre-train it on the synthetic world, initialise it from scratch, implant
knowledge into a staged one (the control studies), or download it from the hub. The folder
loads with ``from_pretrained`` in every case."""

import argparse
import json
from pathlib import Path

from pipeline.verbs import choices

HELP = "pre-train (synthetic), initialise (scratch), implant (implant) or download (hub) a model"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = choices.sources()
    p.add_argument("--spec", required=True, help="the model's config entry as JSON (sources below)")
    p.add_argument("--world", type=Path, help="synthetic world folder (synthetic/scratch/implant)")
    p.add_argument("--base", type=Path, help="staged model folder an implant starts from")
    p.add_argument("--out", required=True, type=Path, help="output model folder")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")


def run(args: argparse.Namespace) -> None:
    import torch

    from pipeline.io import atomic_dir
    from pipeline.models.sources import SOURCES

    torch.set_num_threads(args.threads)
    spec = json.loads(args.spec)
    if args.base is not None:
        spec = {**spec, "base_dir": str(args.base)}
    if spec["source"] not in SOURCES:
        raise ValueError(f"model source {spec['source']!r}; allowed: {sorted(SOURCES)}")
    with atomic_dir(args.out) as tmp:
        SOURCES[spec["source"]](spec, args.world, tmp)
