"""GPU-hours of a study on the cluster: the cost model's estimate for every job still to run.

Runs ``snakemake --profile PROFILE -n TARGET`` (offline: a dry run never downloads) for the
list of jobs that still have to run, and prices each from its work (pipeline/cluster/walltime.py:
examples x epochs x padded tokens, generated tokens, alphas x validation size, calibration
passes) over the model's throughput on the GPU of the profile's ``throughput.yaml``.
Prints GPU-hours per setting and per rule, beside the walltime the jobs request (margin x
estimate, capped at ``max_runtime``) and the longest SLURM pack. ``--measure MODEL_FOLDER``
instead measures a model's three rates on this machine's GPU, for the throughput table.
Run it from the repository root, where the profile folder is."""

import argparse
import shlex
from pathlib import Path

from pipeline.cluster import requested
from pipeline.device import add_device_argument

HELP = "GPU-hours of the study on the cluster, per setting and rule (cost model)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    requested.add_dry_run_arguments(p)
    p.add_argument(
        "--configfile",
        type=Path,
        default=Path("configs/paper.yaml"),
        help="the study's config (the one the profile names)",
    )
    p.add_argument(
        "--throughput",
        type=Path,
        help="throughput table (default: slurm/throughput.yaml)",
    )
    p.add_argument(
        "--rows",
        type=Path,
        help="published row counts of data sets not yet staged (default: slurm/staged_rows.yaml)",
    )
    p.add_argument("--snakemake-args", default="", help="more snakemake arguments for the dry run")
    p.add_argument(
        "--dry-run-output",
        type=Path,
        help="read a saved `snakemake -n` output instead of running one",
    )
    p.add_argument("--json", type=Path, help="also write the summary as JSON")
    p.add_argument(
        "--measure",
        type=Path,
        metavar="MODEL_FOLDER",
        help="measure this model's tokens/s here and print a throughput-table row",
    )
    p.add_argument("--name", help="the model's name in the table (default: folder name)")
    p.add_argument("--batch-size", type=int, default=32, help="--measure: batch size")
    p.add_argument("--seq-len", type=int, default=128, help="--measure: tokens per example")
    add_device_argument(p)


def _measure(args: argparse.Namespace) -> None:
    import yaml

    from pipeline.cluster.benchmark import measure

    rates = measure(args.measure, args.device, args.batch_size, args.seq_len)
    name = args.name or args.measure.name
    print(yaml.safe_dump({name: {**rates, "load_minutes": 2}}, default_flow_style=None), end="")


def _table(title: str, rows: dict[str, dict], total: float) -> None:
    print(
        f"{title:<22}{'jobs':>7}{'GPUs':>6}{'estimate GPU-h':>16}{'requested GPU-h':>17}"
        f"{'first-principles GPU-h':>24}{'estimate/fp':>13}"
    )
    for name, row in rows.items():
        gpus = ",".join(map(str, row["gpus_per_job"]))
        fp = row["first_principles_gpu_hours"]
        ratio = f"{row['gpu_hours'] / fp:.2f}" if fp else "-"
        print(
            f"{name:<22}{row['jobs']:>7}{gpus:>6}{row['gpu_hours']:>16.1f}"
            f"{row['requested_gpu_hours']:>17.1f}{'-' if fp is None else f'{fp:.1f}':>24}"
            f"{ratio:>13}"
        )
    print(f"{'total':<22}{'':>13}{total:>16.1f}")


def run(args: argparse.Namespace) -> None:
    import yaml

    from pipeline.cluster.plan import ROWS_FILE, load_plan
    from pipeline.io import write_json

    if args.measure is not None:
        _measure(args)
        return
    if args.dry_run_output is not None:
        text = args.dry_run_output.read_text()
    else:
        extra = ["--configfile", str(args.configfile), *shlex.split(args.snakemake_args)]
        text = requested.run_dry_run(args.profile, args.targets, extra)
    plan = load_plan(yaml.safe_load(args.configfile.read_text()), args.throughput, args.rows)
    jobs = requested.parse_dry_run(text)
    result = requested.estimate(jobs, requested.local_rules(args.workflow), plan)
    fp = plan.first_principles
    staged = f"{plan.config['results_dir']}/data/*/staged.json"
    print(
        f"GPU: {plan.gpu} (throughput table); estimates from the work of each job, rows as "
        f"staged ({staged}, else {ROWS_FILE.name})"
    )
    if fp:
        print(
            f"first principles: 6 x params x trained tokens + 2 x params x evaluated tokens at "
            f"{fp['utilisation']:g} of the {plan.gpu}'s peak "
            f"({'measured' if fp.get('measured') else 'UNMEASURED, assumed'}); decoding at "
            f"the memory bandwidth; no load\n"
        )
    _table("setting", result["settings"], result["gpu_hours"])
    print()
    _table("rule", result["rules"], result["gpu_hours"])
    print(
        f"\ntotal: {result['gpu_hours']:.1f} GPU-hours estimated "
        f"({result['requested_gpu_hours']:.1f} requested: margin {plan.margin:g}, first "
        f"attempt) over {result['jobs']} jobs in {result['slurm_submissions']} SLURM "
        f"submissions; longest pack {result['longest_pack_jobs']} jobs, "
        f"{result['longest_pack_hours']:.1f} h (max_runtime {plan.max_runtime / 60:g} h)"
    )
    if args.json is not None:
        write_json(args.json, result)
