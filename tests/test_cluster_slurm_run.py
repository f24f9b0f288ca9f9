"""The real SLURM plugin under the slurm profile, with SLURM's commands stood in by a script.

What the profile makes Snakemake ask SLURM for is read from the recorded sbatch calls: a pack
of two fine-tunes, a retry with more time and memory, and the results of a tiny study.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import tiny_study

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.workflow
RUNS = "runs/m/syn_sentiment/fraction-1/dense/dense/seed{seed}/metrics.json"
# Slow enough that a run asks for more than the 5-minute floor of the request.
TINY_THROUGHPUT = {"train": 10, "forward": 100, "generate": 0, "load_minutes": 1}


@pytest.fixture(scope="module")
def sbatch_calls(tmp_path_factory) -> tuple[list[dict], Path]:
    work = tmp_path_factory.mktemp("cluster")
    bin_dir = work / "bin"
    bin_dir.mkdir()
    for command in ("sbatch", "sacct", "srun", "sinfo", "sacctmgr", "sshare"):
        stub = bin_dir / command
        stub.write_text(
            f'#!/bin/sh\nexec "{sys.executable}" "{REPO}/tests/fake_slurm.py" {command} "$@"\n'
        )
        stub.chmod(0o755)
    # The profile as shipped, less conda (not installed here) and the paper config.
    profile = yaml.safe_load((REPO / "slurm" / "config.v8+.yaml").read_text())
    # The stand-in sacct answers job states only, not the efficiency report's accounting.
    drop = ("__use_yte__", "__definitions__", "__variables__", "software-deployment-method",
            "slurm-efficiency-report", "slurm-efficiency-report-path")  # fmt: skip
    for key in (*drop, "configfile"):
        profile.pop(key)
    # A real run refuses the shipped placeholders (tests/test_cluster_plan.py): name them.
    profile["default-resources"].update(slurm_account="ci_account", slurm_partition="gpu")
    (work / "profile").mkdir()
    (work / "profile" / "config.v8+.yaml").write_text(yaml.safe_dump(profile))
    config = work / "study.yaml"
    config.write_text(yaml.safe_dump(tiny_study(work / "results", [0.5], ["dense"], [0, 1], [1.0])))
    # The tiny model's row of the throughput table the walltimes come from.
    table = yaml.safe_load((REPO / "slurm" / "throughput.yaml").read_text())
    table["gpus"][table["gpu"]]["m"] = TINY_THROUGHPUT
    (work / "throughput.yaml").write_text(yaml.safe_dump(table))
    targets = [str(work / "results" / RUNS.format(seed=seed)) for seed in (0, 1)]
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "FAKE_SLURM_DIR": str(work / "slurm"),
        "FAKE_SLURM_FAIL_FIRST": "make_world",
        "JUNKDNA_THROUGHPUT": str(work / "throughput.yaml"),
        "PATH": f"{bin_dir}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}"
        f"{os.environ['PATH']}",
    }
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "--profile",
            str(work / "profile"),
            "--snakefile",
            str(REPO / "Snakefile"),
            "--directory",
            str(work),
            "--configfile",
            str(config),
            "--slurm-init-seconds-before-status-checks",
            "1",
            "--seconds-between-status-checks",
            "1",
            *targets,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    calls = [
        json.loads(p.read_text())
        for p in sorted((work / "slurm").glob("*.json"), key=lambda p: int(p.stem))
    ]
    return calls, work


def flags(call: dict) -> dict[str, str]:
    argv = call["argv"]
    out = dict(zip(argv, argv[1:], strict=False))
    out.update(a.split("=", 1) for a in argv if a.startswith("--") and "=" in a)
    return out


def test_the_pack_asks_for_one_gpu_and_the_sum_of_its_walltimes(sbatch_calls):
    calls, work = sbatch_calls
    [pack] = [c for c in calls if c["comment"].startswith("rule_finetune")]
    members = re.findall(r"'finetune:[^']*'", pack["wrap"])
    assert len(members) == 2  # two runs of the same size share one allocation
    f = flags(pack)
    # The walltime of each member from the cost model (its work over the tiny model's
    # throughput), summed; --cpus-per-task is the rule's set-threads (the dry run's
    # `--threads 1` is only `-n` capping --cores at 1).
    from pipeline.cluster import walltime
    from pipeline.cluster.plan import load_plan

    config = yaml.safe_load((work / "study.yaml").read_text())
    plan = load_plan(config, work / "throughput.yaml")
    wildcards = {"model": "m", "task": "syn_sentiment", "difficulty": "fraction-1", "mode": "dense"}
    one = walltime.requested_minutes(plan, "finetune", wildcards, 1)
    assert one > 10
    assert (f["--gpus"], f["-t"], f["--mem"], f["--cpus-per-task"]) == (
        "1",
        str(2 * one),
        "16000",
        "4",
    )
    for seed in (0, 1):
        record = json.loads((work / "results" / RUNS.format(seed=seed)).read_text())
        assert (record["mode"], record["seed"]) == ("dense", seed)


def test_cpu_jobs_ask_for_no_gpu_and_every_job_names_account_and_partition(sbatch_calls):
    calls, _ = sbatch_calls
    by_rule = {
        re.match(r"rule_(\w+?)(_wildcards|$)", c["comment"])[1]: flags(c)
        for c in calls
        if not c["comment"].startswith("rule_finetune")
    }
    assert set(by_rule) == {"make_world", "stage_model"}
    for f in by_rule.values():
        assert "--gpus" not in f
    for call in calls:
        f = flags(call)
        assert (f["-A"], f["-p"]) == ("ci_account", "gpu")


def test_a_failed_job_is_resubmitted_with_more_time_and_memory(sbatch_calls):
    calls, _ = sbatch_calls
    world = [flags(c) for c in calls if c["comment"] == "rule_make_world"]
    assert [(f["-t"], f["--mem"]) for f in world] == [("30", "8000"), ("60", "16000")]
    assert [c["rc"] for c in calls if c["comment"] == "rule_make_world"] == [1, 0]
