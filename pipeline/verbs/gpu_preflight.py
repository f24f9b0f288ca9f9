"""Before the first GPU job of a study on CUDA: is this GPU usable for it?

Prints torch's CUDA version, the driver's, the device's name and its free memory, runs one
operation on the device, and fails (exit 1, every reason named) when torch's CUDA is newer
than the driver supports, no GPU is visible, the operation fails, or less memory is free than
the study needs (config key ``device_min_free_gib``). A one-GPU job that every GPU job
depends on (rules/device.smk): a broken environment costs one short job, not a wave of
jobs that would train on the host until their walltime."""

import argparse
from pathlib import Path

HELP = "check this job's GPU before the study's GPU jobs (torch CUDA, driver, free memory)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", default="cuda", help="the GPU to check (cuda or cuda:N)")
    p.add_argument("--min-free-gib", type=float, default=0.0, help="free GPU memory needed")
    p.add_argument("--out", type=Path, required=True, help="the report (JSON), on success")


def run(args: argparse.Namespace) -> None:
    import json
    import sys

    from pipeline.device import cuda_report, preflight_problems, resolve
    from pipeline.io import write_json

    report = cuda_report(args.device)
    print(json.dumps(report, indent=1), flush=True)
    problems = preflight_problems(report, args.min_free_gib)
    if not problems:
        try:
            resolve(args.device)  # the same first operation every GPU verb runs
        except ValueError as error:
            problems.append(str(error))
    if problems:
        print("gpu-preflight: this machine cannot run the study's GPU jobs:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        raise SystemExit(1)
    write_json(args.out, report)
    print(f"gpu-preflight: {report['device_name']} ready", flush=True)
