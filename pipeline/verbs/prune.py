"""Compress the pre-trained backbone with one method at one level: write its bit-packed mask,
its report (method, level, denominator, achieved sparsity or bits, overall and per layer) and,
for methods that change weights (SparseGPT, quantization), the new weights as safetensors."""

import argparse
import dataclasses
import json
from pathlib import Path

from pipeline.compress.options import options_tag
from pipeline.compress.prunable import DEFAULT_POLICY, POLICIES
from pipeline.device import add_device_argument
from pipeline.paths import OPTIONS_SEP, options_tag_of
from pipeline.verbs import choices

HELP = "compress a staged model (prune / quantize): mask, report, weights if changed"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True, type=Path, help="staged model folder")
    p.epilog = choices.methods()
    p.add_argument(
        "--method",
        required=True,
        metavar="METHOD",
        help="compression method (listed below)",
    )
    p.add_argument(
        "--level", required=True, help="path level of the method's kind (below): 0.5, 2of4, 4bit"
    )
    p.add_argument(
        "--options",
        default="{}",
        help="the method's own options as JSON (config compression.options.<method>); the "
        "level ends with the tag of those that differ from their defaults (+name=value)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed for randomised methods")
    p.add_argument(
        "--prunable",
        default=DEFAULT_POLICY,
        metavar="|".join(POLICIES),
        help="which weights are prunable: the sparsity denominator",
    )
    p.add_argument(
        "--calibration",
        default="{}",
        help="calibration spec as JSON (config compression.calibration)",
    )
    p.add_argument("--world", type=Path, help="world folder (calibration source 'world')")
    add_device_argument(p)
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    p.add_argument("--out-mask", required=True, type=Path, help="mask file (.npz)")
    p.add_argument("--out-report", required=True, type=Path, help="report file (.json)")
    p.add_argument(
        "--out-weights",
        type=Path,
        help="weights file (.safetensors); required for weight-changing methods",
    )


def run(args: argparse.Namespace) -> None:
    import time

    import torch
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging

    from pipeline import load
    from pipeline.compress.apply import save_weights
    from pipeline.compress.base import Target
    from pipeline.compress.calibration import DEFAULTS, load_calibration, max_positions
    from pipeline.compress.masks import save_masks
    from pipeline.compress.prunable import includes_head, prunable_parameters
    from pipeline.compress.registry import get_method
    from pipeline.compress.report import Origin, compression_report
    from pipeline.device import model_devices, resolve
    from pipeline.io import write_json

    logging.set_verbosity_error()
    torch.set_num_threads(args.threads)
    method = get_method(args.method)
    options = method.parse_options(json.loads(args.options))
    level, _, _ = args.level.partition(OPTIONS_SEP)
    if options_tag(options) != options_tag_of(args.level):
        raise ValueError(
            f"--level {args.level!r}: its options tag {options_tag_of(args.level)!r} does not "
            f"name --options {args.options}; allowed: {level + options_tag(options)!r}"
        )
    method.level_argument(level)
    if method.changes_weights != (args.out_weights is not None):
        raise ValueError(
            f"method {method.name!r}: --out-weights is "
            f"{'required' if method.changes_weights else 'not allowed'}"
        )
    if includes_head(args.prunable) and (method.needs_calibration or method.changes_weights):
        raise ValueError(
            f"config key 'compression.prunable': {args.prunable!r} works with "
            f"data-free mask methods only, not {method.name!r}"
        )
    placement = resolve(args.device)
    start = time.time()
    load.model_folder(args.model)  # a missing config.json is named as missing
    # Straight onto the device in the checkpoint's dtype (a 7B fp16 model: 13.5 GB, no fp32
    # host copy); --device auto spreads it over the visible GPUs. Quantization loads in fp32
    # whatever the checkpoint's dtype: RTN values rounded again to fp16 leave their grid, so
    # it rounds, verifies and stores its weights in fp32 (a reader casts them on copy).
    quantizes = method.level_kind == "bits"
    model = AutoModel.from_pretrained(
        str(args.model),
        dtype=torch.float32 if quantizes else "auto",
        device_map=placement.device_map,
    ).eval()
    print(f"{method.name}: parameters on {sorted(model_devices(model))}", flush=True)
    params = prunable_parameters(model, args.prunable)
    calibration_spec = {**DEFAULTS, **json.loads(args.calibration)}
    batches = None
    if method.needs_calibration:
        tokenizer = AutoTokenizer.from_pretrained(str(args.model))
        batches = load_calibration(
            calibration_spec, tokenizer, args.world, max_positions(model.config)
        )
    # Noise reports its achieved perturbation against the weights it started from.
    before = (
        {name: p.detach().cpu().clone() for name, p in params.items()}
        if method.level_kind == "scale"
        else None
    )
    masks = method.compress(Target(model, params, args.seed, batches, options), level)
    masks = {name: mask.cpu() for name, mask in masks.items()}
    if quantizes:
        from pipeline.compress.quantize import off_grid

        bits = method.level_argument(level)
        off = {name: n for name, p in params.items() if (n := off_grid(p, bits))}
        if off:
            raise RuntimeError(
                f"{method.name}: {sum(off.values())} weights off their {bits}-bit grid "
                f"(in {sorted(off)[:3]})"
            )
    save_masks(args.out_mask, masks)
    if method.changes_weights:
        save_weights(args.out_weights, params)
    origin = Origin(args.seed, str(args.model), calibration_spec, time.time() - start)
    report = compression_report(method, level, params, masks, args.prunable, origin, before)
    report["options"] = dataclasses.asdict(options)
    write_json(args.out_report, {**report, "device": placement.device})
    if report["bits"] is not None:
        figure = f"{report['bits']} bits per weight"
    elif "relative_perturbation" in report:
        figure = f"relative perturbation {report['relative_perturbation']:.4f}"
    else:
        figure = f"achieved sparsity {report['achieved_sparsity']:.4f}"
    print(
        f"{method.name} {args.level}: pruned {report['pruned']} of "
        f"{report['denominator_numel']} prunable weights ({figure})"
    )
