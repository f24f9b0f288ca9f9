"""Fine-tune one cell (task x difficulty x compression x mode x seed) under the cell's
protocol, verify its sparsity, evaluate on the validation split, and write the one-row
result record (metrics.json) plus the fine-tuned weights."""

import argparse
import json
from pathlib import Path

HELP = "fine-tune and evaluate one cell; writes its metrics.json record"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--study", required=True)
    p.add_argument("--setting", required=True, help="difficulty setting, e.g. data_fraction")
    p.add_argument("--model-name", required=True)
    p.add_argument("--model", required=True, type=Path, help="staged model folder")
    p.add_argument("--task", required=True)
    p.add_argument("--world", type=Path, help="synthetic world folder (synthetic tasks)")
    p.add_argument("--difficulty", required=True, help="e.g. fraction-0.25")
    p.add_argument("--compression", required=True, help="'dense' or METHOD-LEVEL")
    p.add_argument("--masks", type=Path, help="mask file of the compression")
    p.add_argument("--mode", required=True, help="transfer mode")
    p.add_argument("--protocol", required=True, help="fine-tuning protocol as JSON")
    p.add_argument("--seed", required=True, type=int)
    p.add_argument("--subset", default="random", choices=["random", "first"])
    p.add_argument("--subset-seed", type=int, default=0)
    p.add_argument("--out-model", type=Path, help="folder for the fine-tuned weights")
    p.add_argument("--out", required=True, type=Path, help="metrics.json record")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")


def run(args: argparse.Namespace) -> None:
    import torch

    from pipeline.finetune.protocol import Protocol
    from pipeline.finetune.run import run_cell
    from pipeline.io import atomic_dir, write_json

    torch.set_num_threads(args.threads)
    protocol = Protocol.from_dict({**json.loads(args.protocol), "seed": args.seed})
    common = dict(
        study=args.study, setting=args.setting, model_name=args.model_name,
        model_dir=args.model, task_name=args.task, world_dir=args.world,
        difficulty=args.difficulty, compression=args.compression, masks_path=args.masks,
        mode_name=args.mode, protocol=protocol, subset=args.subset,
        subset_seed=args.subset_seed,
    )
    if args.out_model is None:
        record = run_cell(**common)
    else:
        with atomic_dir(args.out_model) as tmp:
            record = run_cell(**common, out_dir=tmp)
    write_json(args.out, record)
    print(f"{args.task} {args.difficulty} {args.compression} {args.mode} seed {args.seed}: "
          f"{record['metric']} = {record['value']:.4f}")
