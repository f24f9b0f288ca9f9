"""Where one fine-tune job of the default study spends its time, and what the loop saves.

    python bench/bench_job.py [--steps 800] [--rounds 2] [--workdir DIR] [--no-parallel]

It builds the default study's world (config.yaml) and its ``tiny_roberta`` with pre-training
cut to 20 steps (the model's size, and so the cost of a step, unchanged), then runs the
setting-1 cell (syn_factcheck, fraction-1, dense, the study's protocol) through
``pipeline.finetune.run.run_cell`` in this process, as a warm worker's forked child runs it
(torch, transformers, pandas, sklearn already imported), with timers around its phases:
setup (accelerator, model and tokenizer), training (encode + the loop), evaluation,
examples.parquet, and chance + record. CPU time (``time.process_time``) is printed beside
wall time: on a shared machine it is the steady figure.

Variants, interleaved round by round so load drift hits them alike, in one process, after
one untimed warm-up job:

- ``baseline``: the loop as it was before issue 12's changes (AdamW's per-tensor loop;
  restored here by patching ``make_optimizer`` for the run);
- ``project``: the code as it is (torch's fused AdamW kernel).

With parallel runs on (the default) it then runs the same job as two processes at once, one
torch thread each (what ``snakemake --cores 2`` does with the warm worker), and one alone,
and prints the throughput ratio. Last, it prints the study's job counts by kind
(``pipeline.study.cells``) for the time estimate in README.md ("Size and time").
"""

from __future__ import annotations

import argparse
import collections
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PHASES = ("setup", "train", "evaluate", "examples", "record")


def prepare(workdir: Path) -> tuple[Path, Path, dict]:
    """(world, model, config): built once into ``workdir`` and reused."""
    import yaml

    from pipeline.models.pretrain import pretrain
    from pipeline.world import build_world

    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    world, model = workdir / "world", workdir / "tiny_roberta"
    if not (world / "world.json").exists():
        build_world(config["world"], world)
    if not (model / "config.json").exists():
        model.mkdir(parents=True, exist_ok=True)
        spec = config["models"]["tiny_roberta"]
        pretrain(world, "roberta", spec["size"], {**spec["pretrain"], "steps": 20}, model, False)
    return world, model, config


def per_tensor_optimizer(model, protocol, n_examples):
    """The optimizer before issue 12: AdamW's per-tensor loop (torch's CPU default)."""
    import torch
    from transformers import get_scheduler

    optimizer = torch.optim.AdamW(
        model.parameters(), lr=protocol.lr, weight_decay=protocol.weight_decay
    )
    scheduler = get_scheduler(
        protocol.schedule,
        optimizer,
        num_warmup_steps=protocol.warmup_steps(n_examples),
        num_training_steps=protocol.total_steps(n_examples),
    )
    return optimizer, scheduler


def timed_job(world: Path, model: Path, config: dict, steps: int, out: Path) -> dict:
    """Run the cell once; {phase: (wall, cpu)} plus the run's metric."""
    from pipeline.finetune import run
    from pipeline.finetune.protocol import Protocol
    from pipeline.finetune.spec import RunSpec
    from pipeline.resolve import protocol_for

    spent: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0.0])
    originals = {}

    def timer(phase, name):
        fn = getattr(run, name)
        originals[name] = fn

        def wrapped(*args, **kwargs):
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[phase][0] += time.perf_counter() - wall
                spent[phase][1] += time.process_time() - cpu

        setattr(run, name, wrapped)

    for phase, name in (
        ("setup", "cell_placement"),
        ("setup", "load_for_task"),
        ("train", "train"),
        ("examples", "write_examples"),
        ("record", "chance_level"),
        ("record", "run_record"),
    ):
        timer(phase, name)
    from pipeline.finetune.adapters.base import ScoringAdapter

    evaluate = ScoringAdapter.evaluate  # every scoring adapter's (the cell's is a prompt)

    def timed_evaluate(self, *args, **kwargs):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return evaluate(self, *args, **kwargs)
        finally:
            spent["evaluate"][0] += time.perf_counter() - wall
            spent["evaluate"][1] += time.process_time() - cpu

    ScoringAdapter.evaluate = timed_evaluate
    protocol = Protocol.from_dict(
        {**protocol_for(config, "data_fraction", "syn_factcheck"), "steps": steps, "seed": 0}
    )
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        record = run.run_cell(
            RunSpec(
                study="bench",
                setting="data_fraction",
                model_name="tiny_roberta",
                model_dir=model,
                task_name="syn_factcheck",
                world_dir=world,
                difficulty="fraction-1",
                compression="dense",
                masks_path=None,
                mode_name="dense",
                protocol=protocol,
                progress=False,
                examples_path=out,
            )
        )
    finally:
        for name, fn in originals.items():
            setattr(run, name, fn)
        ScoringAdapter.evaluate = evaluate
    total = (time.perf_counter() - wall, time.process_time() - cpu)
    return {"phases": dict(spent), "total": total, "value": record["value"]}


def run_variants(world, model, config, steps, rounds, workdir) -> dict[str, list[dict]]:
    from pipeline.finetune import trainer

    results: dict[str, list[dict]] = {"baseline": [], "project": []}
    project_optimizer = trainer.make_optimizer
    # One untimed job first: what a fresh child still does once (lazy imports, first
    # kernels) would otherwise be charged to whichever variant runs first.
    timed_job(world, model, config, 2, workdir / "examples.parquet")
    for _ in range(rounds):
        for variant in results:
            trainer.make_optimizer = (
                per_tensor_optimizer if variant == "baseline" else project_optimizer
            )
            try:
                results[variant].append(
                    timed_job(world, model, config, steps, workdir / "examples.parquet")
                )
            finally:
                trainer.make_optimizer = project_optimizer
    return results


def report(results: dict[str, list[dict]], steps: int) -> None:
    medians = {}
    print(f"\none job (syn_factcheck fraction-1 dense, {steps} steps), median over rounds:")
    print(f"{'variant':10} {'phase':9} {'wall s':>8} {'cpu s':>8}")
    for variant, runs in results.items():
        for phase in PHASES:
            wall = statistics.median(r["phases"].get(phase, (0, 0))[0] for r in runs)
            cpu = statistics.median(r["phases"].get(phase, (0, 0))[1] for r in runs)
            print(f"{variant:10} {phase:9} {wall:8.3f} {cpu:8.3f}")
        wall = statistics.median(r["total"][0] for r in runs)
        cpu = statistics.median(r["total"][1] for r in runs)
        medians[variant] = (wall, cpu)
        print(f"{variant:10} {'total':9} {wall:8.3f} {cpu:8.3f}   value {runs[0]['value']:.4f}")
    base, ours = medians["baseline"], medians["project"]
    print(
        f"ratio project/baseline: wall {ours[0] / base[0]:.3f}, cpu {ours[1] / base[1]:.3f}; "
        f"cpu per step {1000 * ours[1] / steps:.1f} ms (baseline {1000 * base[1] / steps:.1f})"
    )


def parallel(workdir: Path, steps: int) -> None:
    """Wall time of the job alone vs two at once (one torch thread each)."""
    command = [sys.executable, __file__, "--workdir", str(workdir), "--steps", str(steps)]
    command += ["--child"]

    def launch(n: int, threads: int) -> float:
        env = {"OMP_NUM_THREADS": str(threads), "PYTHONPATH": str(ROOT)}
        import os

        start = time.perf_counter()
        procs = [
            subprocess.Popen([*command, str(threads), str(i)], env={**os.environ, **env})
            for i in range(n)
        ]
        for p in procs:
            if p.wait():
                raise SystemExit("a parallel job failed")
        return time.perf_counter() - start

    alone = launch(1, 1)
    two = launch(2, 1)
    alone_two_threads = launch(1, 2)
    print(
        f"\nprocesses (imports included): 1 job, 1 thread: {alone:.1f} s; 2 jobs at once, "
        f"1 thread each: {two:.1f} s (throughput x{2 * alone / two:.2f}); "
        f"1 job, 2 threads: {alone_two_threads:.1f} s (x{alone / alone_two_threads:.2f})"
    )


def job_counts(config: dict) -> None:
    from pipeline import study

    counts = collections.Counter(
        (c.model, "zero-shot" if c.mode == "zero_shot" else "fine-tune")
        for c in study.cells(config)
    )
    print(
        "\nthe study's runs by model and kind:",
        json.dumps({f"{m} {k}": n for (m, k), n in sorted(counts.items())}),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=800, help="protocol.steps of the job")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/bench-job"))
    parser.add_argument("--no-parallel", action="store_true")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    import torch

    args.workdir.mkdir(parents=True, exist_ok=True)
    world, model, config = prepare(args.workdir)
    if args.child:
        torch.set_num_threads(int(args.child[0]))
        timed_job(world, model, config, args.steps, args.workdir / f"ex{args.child[1]}.parquet")
        return
    torch.set_num_threads(1)
    report(run_variants(world, model, config, args.steps, args.rounds, args.workdir), args.steps)
    if not args.no_parallel:
        parallel(args.workdir, args.steps)
    job_counts(config)


if __name__ == "__main__":
    main()
