"""``python -m pipeline <verb> ...``: one verb per Snakemake rule."""

from __future__ import annotations

import argparse
import importlib
import sys

from pipeline import gpu_slots
from pipeline.io import remove_stale_temps

# verb -> module under pipeline.verbs. Each module defines HELP, add_arguments(), run();
# heavy imports (torch, transformers) happen inside run(), so --help is instant.
VERBS = {
    "make-world": "make_world",
    "stage-model": "stage_model",
    "stage-data": "stage_data",
    "prune": "prune",
    "finetune": "finetune",
    "evaluate": "evaluate",
    "collect": "collect",
    "normalize": "normalize",
    "lmc": "lmc",
    "figure": "figure",
    "cost": "cost",
    "verdict": "verdict",
    "safe-sparsity": "safe_sparsity",
    "summarize": "summarize",
    "table1": "table1",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline",
        description="junkdna: the Junk DNA Hypothesis study, one verb per workflow step.",
    )
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    for verb, module_name in VERBS.items():
        module = importlib.import_module(f"pipeline.verbs.{module_name}")
        p = sub.add_parser(
            verb,
            help=module.HELP,
            description=module.__doc__,
            formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        )
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def output_paths(args: argparse.Namespace) -> list[str]:
    """The files and folders a verb writes: by convention its ``--out*`` and ``--csv``."""
    return [
        value
        for dest, value in vars(args).items()
        if value is not None and (dest.startswith("out") or dest == "csv")
    ]


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    gpu_slots.claim(args.verb)  # one GPU per job on a multi-GPU machine without SLURM
    for path in output_paths(args):  # this job owns them: debris of a killed run goes
        for stale in remove_stale_temps(path):
            print(f"removed the temporary {stale} of an interrupted run", file=sys.stderr)
    try:
        args._run(args)
    except (ValueError, FileNotFoundError) as err:  # bad input: one line naming the file
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
