"""Before submitting: does every job of the study fit the partition it is sent to?

SLURM accepts a job that no node of its partition can ever run and leaves it PENDING
(Reason=PartitionConfig) while Snakemake waits with it; a retry asking for more memory than
any node has does the same hours later. This verb runs the profile's dry run once per attempt
(``--attempt 1..retries+1``: the profile scales time and memory with the attempt), reads each
partition's limits and nodes with ``scontrol``/``sinfo``, and lists every SLURM submission
(a pack counts as one: the largest member's CPUs and memory, its GPUs, the sum of the
members' walltimes) whose CPUs, memory, GPUs or walltime the partition cannot satisfy.
Run it on the login node, from the repository root, before ``snakemake --profile slurm``;
elsewhere, ``--partition-config`` reads the limits from the SLURM plugin's partition file
(``generate-slurm-partition-config -o slurm/partitions.yaml`` on the login node) instead."""

import argparse
import shlex
from pathlib import Path

from pipeline.cluster import requested

HELP = "check every job of the profile's dry run against the partition's limits (sinfo)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    requested.add_dry_run_arguments(p)
    p.add_argument(
        "--snakemake-args",
        default="",
        help="more snakemake arguments, e.g. '--configfile configs/paper.yaml'",
    )
    p.add_argument(
        "--retries",
        type=int,
        help="attempts beyond the first to check (default: the profile's `retries`)",
    )
    p.add_argument(
        "--partition-config",
        type=Path,
        help="the SLURM plugin's partition file instead of sinfo/scontrol",
    )


def run(args: argparse.Namespace) -> None:
    from pipeline.cluster.slurm_limits import (
        check_submissions,
        partitions,
        partitions_from_config,
        profile_retries,
        requests,
    )

    retries = profile_retries(args.profile) if args.retries is None else args.retries
    local = requested.local_rules(args.workflow)
    if args.partition_config is not None:
        found = partitions_from_config(args.partition_config)
    else:
        found = partitions()
    problems: list[str] = []
    checked = 0
    for attempt in range(1, retries + 2):
        extra = [*shlex.split(args.snakemake_args), "--attempt", str(attempt)]
        text = requested.run_dry_run(args.profile, args.targets, [*extra, "--cores", "100000"])
        submissions = requests(text, local)
        checked += len(submissions)
        problems += [f"attempt {attempt}: {p}" for p in check_submissions(submissions, found)]
    names = ", ".join(f"{name} ({part.describe()})" for name, part in found.items())
    if problems:
        print("\n".join(problems))
        raise ValueError(
            f"{len(problems)} of {checked} SLURM submissions (attempts 1-{retries + 1}) can never "
            f"start on their partition; partitions: {names}. Lower the resources in the "
            "profile (slurm/config.v8+.yaml) or choose another partition there."
        )
    print(f"ok: all {checked} SLURM submissions of attempts 1-{retries + 1} fit: {names}")
