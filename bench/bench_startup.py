"""Per-job wall and CPU time of the workflow's own job commands, each in its own process
vs through the warm worker (pipeline/worker), measured in one run, interleaved.

Takes the study's config (default: config.yaml), shrinks its pre-training (the model's size,
and with it every fine-tune step, stays), builds the inputs of one fine-tune cell with
Snakemake, asks Snakemake for the exact shell commands of that cell's `finetune` job and of
`collect` (a start-up-bound job), then runs each command as Snakemake would (bash, with the
per-job thread variables), alternately with and without a worker. Also prints where an
in-process job's start-up goes (python -X importtime, cumulative, per top-level package).

    python bench/bench_startup.py                  # 5 rounds, config.yaml
    python bench/bench_startup.py --rounds 9 --config configs/other.yaml
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline import paths, study  # noqa: E402
from pipeline.worker import client, lifecycle  # noqa: E402

PACKAGES = ("torch", "transformers", "accelerate", "sklearn", "scipy", "numpy", "pipeline")


def bench_config(config_path: Path, results: Path, pretrain_steps: int) -> dict:
    config = copy.deepcopy(yaml.safe_load(config_path.read_text()))
    config["results_dir"] = str(results)
    for model in config["models"].values():
        if "pretrain" in model:
            model["pretrain"]["steps"] = pretrain_steps
    return config


def pick_cell(config: dict) -> study.Cell:
    """The first compressed, fine-tuned cell of the study (what most of its jobs are)."""
    for cell in study.cells(config):
        if cell.compression != paths.DENSE and cell.mode == "sparse":
            return cell
    raise SystemExit("the config has no sparse fine-tune cell")


def snakemake(workdir: Path, configfile: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile")]
        + ["--directory", str(workdir), "--configfile", str(configfile), "--cores", "2", *args],
        capture_output=True,
        text=True,
        env={**os.environ, client.SWITCH_ENV: "0"},
    )
    if done.returncode:
        raise SystemExit(done.stdout[-3000:] + done.stderr[-3000:])
    return done.stdout + done.stderr


def shell_command(workdir: Path, configfile: Path, target: str, verb: str) -> str:
    """The command Snakemake runs for ``target``'s job (dry run, printed with -p)."""
    out = snakemake(workdir, configfile, "-n", "-p", "--forcerun", target, "--", target)
    marker = f"python -m pipeline {verb} "
    commands = [line[line.index(marker) :] for line in out.splitlines() if marker in line]
    if not commands:
        raise SystemExit(f"no {verb} command in the dry run of {target}:\n{out[-2000:]}")
    return commands[-1]


def run_job(command: str, workdir: Path, threads: int, worker_log: Path | None) -> tuple:
    """(wall s, CPU s) of one job: the shell, the client and, with a worker, its child."""
    env = {**os.environ, **{k: str(threads) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}}
    before_jobs = len(finished(worker_log)) if worker_log else 0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(["bash", "-c", command], cwd=workdir, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"job failed ({done.returncode}): {command}")
    cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    if worker_log:
        jobs = finished(worker_log)
        if len(jobs) != before_jobs + 1:
            raise SystemExit(f"the worker did not run the job; see {worker_log}")
        cpu += jobs[-1]
    return wall, cpu


def finished(log: Path) -> list[float]:
    """CPU seconds of each job the worker has finished (its log)."""
    text = log.read_text() if log.exists() else ""
    return [float(m) for m in re.findall(r": exit 0 after [\d.]+ s, cpu ([\d.]+) s", text)]


def import_breakdown(command: str, workdir: Path, log: Path) -> dict[str, float]:
    """Import time (s) per top-level package of one in-process run of the job: each
    package's outermost imports, cumulative (with what they pull in that was not loaded
    yet); "all imports" is the sum over the job's own top-level imports."""
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1", "OMP_NUM_THREADS": "1"}
    env.pop(client.SOCKET_ENV, None)
    subprocess.run(["bash", "-c", command], cwd=workdir, env=env, check=True)
    entries = []  # (depth, package, cumulative s), in the order printed (children first)
    for line in log.read_text().splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( +)(\S+)$", line)
        if m:
            entries.append(((len(m[2]) - 1) // 2, m[3].split(".")[0], int(m[1]) / 1e6))
    totals: dict[str, float] = {"all imports": 0.0}
    stack: list[tuple[int, str]] = []
    for depth, package, seconds in reversed(entries):  # parents before their children
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if depth == 0:
            totals["all imports"] += seconds
        if package not in {p for _, p in stack}:
            totals[package] = totals.get(package, 0.0) + seconds
        stack.append((depth, package))
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, default=ROOT / "config.yaml")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pretrain-steps", type=int, default=20)
    parser.add_argument("--workdir", type=Path, help="reuse (or create) this work folder")
    args = parser.parse_args()

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-startup-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results = workdir / "results"
    config = bench_config(args.config, results, args.pretrain_steps)
    configfile = workdir / "config.yaml"
    configfile.write_text(yaml.safe_dump(config))
    cell = pick_cell(config)
    metrics = cell.path(paths.METRICS, str(results))
    print(f"cell: {metrics}")
    t0 = time.perf_counter()
    snakemake(workdir, configfile, metrics)
    print(f"inputs built by snakemake in {time.perf_counter() - t0:.0f} s (not timed below)")
    table = str(workdir / "bench.parquet")
    jobs = {
        "finetune": shell_command(workdir, configfile, metrics, "finetune"),
        "collect": f"python -m pipeline collect {metrics} --out {table} > {table}.log 2>&1",
    }
    ft_log = Path(re.search(r"> (\S+) 2>&1", jobs["finetune"])[1])
    ft_log = ft_log if ft_log.is_absolute() else workdir / ft_log

    breakdown = import_breakdown(jobs["finetune"], workdir, ft_log)
    print("\nin-process finetune job, import time by package (cumulative, s):")
    for package in (*PACKAGES, "all imports"):
        print(f"  {package:14s} {breakdown.get(package, 0.0):6.2f}")

    worker_log = workdir / "worker.log"
    os.environ.pop(client.SWITCH_ENV, None)
    times: dict[tuple[str, str], list[tuple[float, float]]] = {}
    t0 = time.perf_counter()
    lifecycle.start(worker_log)
    os.environ[client.SOCKET_ENV], socket_path = "", os.environ[client.SOCKET_ENV]
    try:
        for _ in range(args.rounds):
            for name, command in jobs.items():
                for way in ("in-process", "worker"):
                    os.environ[client.SOCKET_ENV] = socket_path if way == "worker" else ""
                    log = worker_log if way == "worker" else None
                    times.setdefault((name, way), []).append(run_job(command, workdir, 1, log))
    finally:
        os.environ[client.SOCKET_ENV] = socket_path
        lifecycle.stop()
    ready = re.findall(r"imported in ([\d.]+) s, cpu ([\d.]+) s", worker_log.read_text())[-1]
    print(f"\nworker start-up (once per Snakemake run): {ready[0]} s wall, {ready[1]} s CPU")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)")
    print(f"\nper job, {args.rounds} rounds, interleaved (median / best, s):")
    print("| job | way | wall | CPU | wall ratio | CPU ratio |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name in jobs:
        base = times[(name, "in-process")]
        for way in ("in-process", "worker"):
            ts = times[(name, way)]
            wall, cpu = ([t[i] for t in ts] for i in (0, 1))
            ratio = [
                statistics.median(wall) / statistics.median(t[0] for t in base),
                statistics.median(cpu) / statistics.median(t[1] for t in base),
            ]
            print(
                f"| {name} | {way} | {statistics.median(wall):.2f} / {min(wall):.2f} "
                f"| {statistics.median(cpu):.2f} / {min(cpu):.2f} "
                f"| {ratio[0]:.2f} | {ratio[1]:.2f} |"
            )
    print(f"\n(work folder kept: {workdir})")


if __name__ == "__main__":
    main()
