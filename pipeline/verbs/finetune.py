"""Fine-tune one cell (task x difficulty x compression x mode x seed) under the cell's
protocol, verify the mode's promise (sparse: pruned weights exactly zero; freezing: frozen
weights bit-identical), evaluate on the validation split, and write the one-row result
record (metrics.json), the per-example outcomes (examples.parquet), and the fine-tuned
weights when --out-model asks for them (only the cells an LMC job reads). The model runs on
--device (default: cuda if available, else cpu).

The run checkpoints every --checkpoint-minutes of wall time into --checkpoint-dir (default: a
``checkpoint`` folder next to --out) and, started again with the same arguments after a
crash or a kill, resumes from the last checkpoint and ends exactly as an uninterrupted run
would (on CPU). The folder is removed once the outputs are written; the outputs are also kept
in a ``done`` folder until the cell's pack has succeeded, so a rerun restores them instead of
training (``pipeline.finetune.retain``); the run folder is locked while it runs. Under
``accelerate launch`` it runs on several GPUs; the protocol's precision turns on bf16/fp16."""

import argparse
import json
from pathlib import Path

from pipeline.device import add_device_argument
from pipeline.finetune.tracking import BACKENDS
from pipeline.verbs import choices

HELP = "fine-tune and evaluate one cell; writes its metrics.json record"
# Arguments that say where or how fast a run goes, not what it computes.
NOT_IDENTITY = {"out", "out_model", "out_examples", "checkpoint_dir", "checkpoint_minutes"}
NOT_IDENTITY |= {"threads", "no_progress", "tracking", "tracking_dir"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = "\n\n".join(
        [choices.tasks(), choices.modes(), choices.settings(), choices.methods()]
    )
    p.add_argument("--study", required=True)
    p.add_argument(
        "--setting",
        required=True,
        metavar="SETTING",
        help="difficulty setting (listed below)",
    )
    p.add_argument("--model-name", required=True)
    p.add_argument(
        "--model",
        required=True,
        type=Path,
        help="staged model folder (mode ptq: the cell's dense fine-tuned model folder)",
    )
    p.add_argument("--task", required=True, metavar="TASK", help="task (listed below)")
    p.add_argument(
        "--task-options",
        default="{}",
        help="what the task needs from its setting, as JSON (language groups)",
    )
    p.add_argument(
        "--world",
        "--data",
        dest="world",
        type=Path,
        help="synthetic world folder (synthetic tasks) or staged data folder (hub tasks)",
    )
    p.add_argument(
        "--difficulty", required=True, help="AXIS-VALUE of the setting (below), e.g. fraction-0.25"
    )
    p.add_argument(
        "--compression",
        required=True,
        help="'dense' or METHOD-LEVEL[+option=value...] (methods and level syntax below)",
    )
    p.add_argument("--masks", type=Path, help="mask file of the compression")
    p.add_argument(
        "--mode",
        required=True,
        metavar="MODE",
        help="transfer mode (listed below)",
    )
    p.add_argument("--protocol", required=True, help="fine-tuning protocol as JSON")
    p.add_argument(
        "--budget",
        type=float,
        default=1.0,
        help="the training budget this run's protocol was scaled by (x its steps or epochs; "
        "the setting's budgets), recorded in its row",
    )
    p.add_argument("--seed", required=True, type=int)
    p.add_argument("--subset", default="random", choices=["random", "first"])
    p.add_argument("--subset-seed", type=int, default=0)
    p.add_argument("--out-model", type=Path, help="folder for the fine-tuned weights")
    p.add_argument("--out", required=True, type=Path, help="metrics.json record")
    p.add_argument(
        "--out-examples",
        type=Path,
        help="per-example outcomes (default: examples.parquet next to --out)",
    )
    p.add_argument(
        "--checkpoint-dir",
        type=Path,
        help="resumable checkpoints (default: 'checkpoint' next to --out)",
    )
    p.add_argument(
        "--checkpoint-minutes",
        type=float,
        default=20.0,
        help="wall-time minutes between checkpoints (config checkpoint_minutes); 0 = never",
    )
    add_device_argument(p)
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--tracking",
        default="none",
        choices=BACKENDS,
        help="send the training loss and evaluation metrics to this tracker (config tracking)",
    )
    p.add_argument(
        "--tracking-dir",
        type=Path,
        help="the tracker's folder (needed with --tracking); TensorBoard writes each run to "
        "TRACKING_DIR/MODEL/TASK/DIFFICULTY/COMPRESSION/MODE[/budget-Bx]/seedSEED",
    )


def cell_fingerprint(args: argparse.Namespace) -> str:
    """The run's identity: its arguments and the content of what it reads."""
    from pipeline.data.provenance import task_inputs
    from pipeline.finetune import retain
    from pipeline.tasks.registry import get_task

    identity = {k: v for k, v in vars(args).items() if k not in NOT_IDENTITY and k[0] != "_"}
    task = get_task(args.task).configure(args.difficulty, json.loads(args.task_options))
    return retain.fingerprint(identity, [args.model, args.masks, *task_inputs(task, args.world)])


def run(args: argparse.Namespace) -> None:
    from pipeline.finetune import retain

    retain.run_once(args.out.parent, args.out, cell_fingerprint(args), lambda: train_cell(args))


def train_cell(args: argparse.Namespace) -> None:
    import torch

    from pipeline.finetune.checkpoint import clear_checkpoints
    from pipeline.finetune.protocol import Protocol
    from pipeline.finetune.run import run_cell
    from pipeline.finetune.tracking import Tracker
    from pipeline.io import write_json
    from pipeline.paths import budget_component

    torch.set_num_threads(args.threads)
    protocol = Protocol.from_dict({**json.loads(args.protocol), "seed": args.seed})
    checkpoint_dir = args.checkpoint_dir or args.out.parent / "checkpoint"
    run = f"{args.model_name}/{args.task}/{args.difficulty}/{args.compression}/{args.mode}"
    run += budget_component(args.budget)
    tracker = Tracker(args.tracking, args.tracking_dir or "", f"{run}/seed{args.seed}")
    record = run_cell(
        study=args.study,
        setting=args.setting,
        model_name=args.model_name,
        model_dir=args.model,
        task_name=args.task,
        world_dir=args.world,
        difficulty=args.difficulty,
        compression=args.compression,
        masks_path=args.masks,
        mode_name=args.mode,
        protocol=protocol,
        subset=args.subset,
        subset_seed=args.subset_seed,
        task_options=json.loads(args.task_options),
        checkpoint_dir=checkpoint_dir,
        checkpoint_minutes=args.checkpoint_minutes,
        progress=not args.no_progress,
        out_dir=args.out_model,
        device=args.device,
        examples_path=args.out_examples or args.out.with_name("examples.parquet"),
        tracker=tracker,
    )
    tracker.finish()
    if record is None:  # not the main process of a multi-GPU run
        return
    record["budget"] = args.budget
    write_json(args.out, record)
    clear_checkpoints(checkpoint_dir)
    print(
        f"{args.task} {args.difficulty} {args.compression} {args.mode} seed {args.seed}: "
        f"{record['metric']} = {record['value']:.4f}"
    )
