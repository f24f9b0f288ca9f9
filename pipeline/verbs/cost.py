"""GPU-hours of a study on the cluster, from the dry run of its profile.

Runs ``snakemake --profile PROFILE -n TARGET`` (offline: a dry run never downloads) and sums,
over the jobs that still have to run, GPUs x requested walltime of the first attempt. The
walltimes are limits with a margin, so the figure is an upper bound; retries add to it.
Run it from the repository root, where the profile folder is."""

import argparse
import shlex
from pathlib import Path

HELP = "GPU-hours of the study on the cluster (from the profile's dry run)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("targets", nargs="*", default=["all_figures"], help="snakemake targets")
    p.add_argument("--profile", default="slurm", help="snakemake profile (folder or name)")
    p.add_argument(
        "--snakemake-args",
        default="",
        help="more snakemake arguments, e.g. '--configfile configs/paper.yaml'",
    )
    p.add_argument(
        "--dry-run-output",
        type=Path,
        help="read a saved `snakemake -n` output instead of running one",
    )
    p.add_argument(
        "--workflow",
        type=Path,
        default=Path("."),
        help="workflow folder (Snakefile, rules/): tells local rules apart",
    )
    p.add_argument("--json", type=Path, help="also write the summary as JSON")


def run(args: argparse.Namespace) -> None:
    from pipeline import cluster
    from pipeline.io import write_json

    if args.dry_run_output is not None:
        text = args.dry_run_output.read_text()
    else:
        text = cluster.run_dry_run(args.profile, args.targets, shlex.split(args.snakemake_args))
    jobs = cluster.parse_dry_run(text)
    result = cluster.summary(jobs, cluster.local_rules(args.workflow))
    print(f"{'rule':<16}{'jobs':>7}{'GPUs/job':>10}{'walltime h':>12}{'GPU-hours':>11}")
    for rule, row in result["rules"].items():
        gpus = ",".join(map(str, row["gpus_per_job"]))
        print(f"{rule:<16}{row['jobs']:>7}{gpus:>10}{row['hours']:>12.1f}{row['gpu_hours']:>11.1f}")
    print(
        f"total: {result['gpu_hours']:.1f} GPU-hours (requested walltime, first attempt: an "
        f"upper bound) over {result['jobs']} jobs in {result['slurm_submissions']} SLURM "
        f"submissions; longest pack {result['longest_pack_jobs']} jobs, "
        f"{result['longest_pack_hours']:.1f} h"
    )
    if args.json is not None:
        write_json(args.json, result)
