"""The command line, ``python -m pipeline <verb> ...``: one verb per Snakemake rule."""

from __future__ import annotations

import argparse
import importlib
import sys

from pipeline.cluster import gpu_slots
from pipeline.io import remove_stale_temps


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Defaults in the help, and the docstring and the registry tables (epilog) as written."""


# verb -> module under pipeline.verbs. Each module defines HELP, add_arguments(), run();
# heavy imports (torch, transformers) happen inside run(), so --help is instant.
VERBS = {
    "make-world": "make_world",
    "stage-model": "stage_model",
    "stage-data": "stage_data",
    "continue-train": "continue_train",
    "prune": "prune",
    "finetune": "finetune",
    "evaluate": "evaluate",
    "collect": "collect",
    "normalize": "normalize",
    "lmc": "lmc",
    "figure": "figure",
    "cost": "cost",
    "cluster-check": "cluster_check",
    "verdict": "verdict",
    "safe-sparsity": "safe_sparsity",
    "summarize": "summarize",
    "table1": "table1",
    "calibration": "calibration",
    "gpu-preflight": "gpu_preflight",
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The CLI; with ``only``, just that verb's arguments are loaded (the others' modules,
    ~0.1 s of project imports such as the figure registry, would be paid by every job)."""
    parser = argparse.ArgumentParser(
        prog="python -m pipeline",
        description="junkdna: the Junk DNA Hypothesis study, one verb per workflow step.",
    )
    sub = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    for verb, module_name in VERBS.items():
        if only is not None and verb != only:
            sub.add_parser(verb)
            continue
        module = importlib.import_module(f"pipeline.verbs.{module_name}")
        p = sub.add_parser(
            verb,
            help=module.HELP,
            description=module.__doc__,
            formatter_class=_HelpFormatter,
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
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv[0] if argv and argv[0] in VERBS else None).parse_args(argv)
    # One GPU per job on a multi-GPU machine without SLURM; none for a --device cpu job.
    gpu_slots.claim(args.verb, getattr(args, "device", None))
    for path in output_paths(args):  # this job owns them: debris of a killed run goes
        for stale in remove_stale_temps(path):
            print(f"removed the temporary {stale} of an interrupted run", file=sys.stderr)
    try:
        args._run(args)
    except (ValueError, FileNotFoundError) as err:  # bad input: one line naming the file
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0
