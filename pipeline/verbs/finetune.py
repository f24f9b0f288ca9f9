"""Fine-tune one cell (task x difficulty x compression x mode x seed) under the cell's
protocol, given as one run spec (SPEC: a JSON object, or the path of a JSON file; its keys
are listed below, pipeline/finetune/spec.py); verify the mode's promise (sparse: pruned
weights exactly zero; freezing: frozen weights bit-identical), evaluate on the validation
split, and write the one-row result record (out: metrics.json), the per-example outcomes
(examples.parquet), and the fine-tuned weights when out_dir asks for them (only the cells
an LMC job reads). The model runs on the spec's device (default: cuda if available, else
cpu). For example:

  python -m pipeline finetune '{"study": "t", "setting": "data_fraction",
    "model_name": "tiny", "model_dir": "results/models/tiny", "task_name": "syn_sentiment",
    "world_dir": "results/world", "difficulty": "fraction-1", "compression": "dense",
    "mode_name": "dense", "protocol": {"lr": 5e-4, "epochs": 3, "batch_size": 32,
    "max_length": 64, "seed": 0}, "out": "runs/tiny/metrics.json"}'

The run checkpoints every checkpoint_minutes of wall time into checkpoint_dir (default: a
``checkpoint`` folder next to out) and, started again with the same spec after a
crash or a kill, resumes from the last checkpoint and ends exactly as an uninterrupted run
would (on CPU). The folder is removed once the outputs are written; the outputs are also kept
in a ``done`` folder until the cell's pack has succeeded, so a rerun restores them instead of
training (``pipeline.finetune.retain``); the run folder is locked while it runs. Under
``accelerate launch`` it runs on several GPUs; the protocol's precision turns on bf16/fp16."""

import argparse
from pathlib import Path
from typing import Any

from pipeline.verbs import choices

HELP = "fine-tune and evaluate one cell; writes its metrics.json record"


class SpecArgument(argparse.Action):
    """Parses SPEC into a RunSpec, and names on the namespace what the entry point reads of
    every verb: its device (pipeline/cluster/gpu_slots.py) and its outputs (``out*``)."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option: Any = None) -> None:
        from pipeline.finetune.spec import RunSpec

        try:
            spec = RunSpec.parse(values)
        except (ValueError, TypeError, OSError) as err:
            raise argparse.ArgumentError(self, str(err)) from None
        if spec.out is None:
            raise argparse.ArgumentError(self, "finetune spec: 'out' (metrics.json) is required")
        namespace.spec, namespace.device = spec, spec.device
        namespace.out, namespace.out_examples, namespace.out_model = (
            spec.out,
            spec.examples_path,
            spec.out_dir,
        )


def add_arguments(p: argparse.ArgumentParser) -> None:
    from pipeline.finetune.spec import describe_fields

    p.epilog = "\n\n".join(
        [describe_fields(), choices.tasks(), choices.modes(), choices.settings(), choices.methods()]
    )
    p.add_argument(
        "spec",
        metavar="SPEC",
        action=SpecArgument,
        help="the run: a JSON object, or the path of a file holding one (keys below)",
    )


def run(args: argparse.Namespace) -> None:
    from pipeline.finetune import retain

    spec = args.spec
    fingerprint = retain.fingerprint(spec.fingerprint())
    retain.run_once(Path(spec.out).parent, spec.out, fingerprint, lambda: train_cell(spec))


def train_cell(spec: Any) -> None:
    import torch

    from pipeline.finetune.run import run_cell

    torch.set_num_threads(spec.threads)
    record = run_cell(spec)
    if record is not None:  # the main process of a multi-GPU run
        print(
            f"{spec.task_name} {spec.difficulty} {spec.compression} {spec.mode_name} "
            f"seed {spec.seed}: {record['metric']} = {record['value']:.4f}"
        )
