"""Compute a pruning mask on the pre-trained backbone and write it bit-packed, with a report
of the denominator and the achieved sparsity overall and per layer."""

import argparse
from pathlib import Path

HELP = "compute a compression mask (bit-packed) and its sparsity report"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True, type=Path, help="staged model folder")
    p.add_argument("--method", required=True, help="compression method (see registry)")
    p.add_argument("--level", required=True, help="level, e.g. sparsity 0.5")
    p.add_argument("--seed", type=int, default=0, help="seed for randomised methods")
    p.add_argument("--out-mask", required=True, type=Path, help="mask file (.npz)")
    p.add_argument("--out-report", required=True, type=Path, help="report file (.json)")


def run(args: argparse.Namespace) -> None:
    from transformers import AutoModel
    from transformers.utils import logging

    from pipeline.compress.masks import save_masks
    from pipeline.compress.prunable import prunable_parameters, sparsity_report
    from pipeline.compress.registry import get_method
    from pipeline.io import write_json

    logging.set_verbosity_error()
    method = get_method(args.method)
    method.parse_level(args.level)
    model = AutoModel.from_pretrained(str(args.model))
    params = prunable_parameters(model)
    masks = method.compute_masks(params, args.level, args.seed)
    save_masks(args.out_mask, masks)
    report = sparsity_report(params, masks)
    report.update(method=method.name, level=args.level, description=method.description,
                  seed=args.seed, model=str(args.model))
    write_json(args.out_report, report)
    print(f"{method.name} {args.level}: pruned {report['pruned']} of "
          f"{report['denominator_numel']} prunable weights "
          f"(achieved sparsity {report['achieved_sparsity']:.4f})")
