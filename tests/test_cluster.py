"""The SLURM and workstation profiles: the paper DAG as the user types it, resources, cost."""

from __future__ import annotations

import dataclasses
import math
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from pipeline.cluster import gpu_slots, requested
from tests.conftest import load_profile, paper

REPO = Path(__file__).resolve().parents[1]
PROFILES = {
    "slurm": REPO / "slurm" / "config.v8+.yaml",
    "workstation": REPO / "workstation" / "config.v8+.yaml",
}
# Any network access fails fast: a dry run must never download a model or a data set.
OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "NO_PROXY": "",
}


def dry_run(profile: str) -> str:
    """``snakemake --profile PROFILE -n all_figures`` from the repository root, as typed."""
    env = {
        **os.environ,
        **OFFLINE,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    run = subprocess.run(
        ["snakemake", "--profile", profile, "-n", "all_figures"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    return run.stdout + run.stderr


@pytest.mark.parametrize("name", ["workstation"])  # slurm: tests/test_cluster_check.py
def test_conda_is_used_except_for_a_dry_run_without_conda(name, tmp_path):
    conda = tmp_path / "conda"
    conda.write_text("#!/bin/sh\n")
    conda.chmod(0o755)
    run, dry = ["snakemake", "all_figures"], ["snakemake", "-n", "all_figures"]
    assert (
        load_profile(PROFILES[name], run, path="/nonexistent")["software-deployment-method"]
        == "conda"
    )
    assert (
        load_profile(PROFILES[name], dry, path=str(tmp_path))["software-deployment-method"]
        == "conda"
    )
    assert (
        load_profile(PROFILES[name], dry, path="/nonexistent")["software-deployment-method"] is None
    )


@pytest.fixture(scope="module")
def slurm_text() -> str:
    return dry_run("slurm")


@pytest.fixture(scope="module")
def slurm_jobs(slurm_text) -> list[requested.PlannedJob]:
    return requested.parse_dry_run(slurm_text)


def test_dry_run_lists_every_job_of_the_paper_study(slurm_text, slurm_jobs, paper_config):
    from pipeline import study

    assert Counter(j.rule for j in slurm_jobs) == Counter(requested.job_stats(slurm_text))
    stats = requested.job_stats(slurm_text)
    assert stats["finetune"] + stats["finetune_keep_model"] == len(study.cells(paper_config))
    # The LMC end points (8 paths at 3 seeds: 48 runs) and the dense runs post-training
    # quantization starts from.
    kept = study.kept_model_runs(paper_config, study.cells(paper_config))
    assert stats["finetune_keep_model"] == len(kept) > len(study.lmc_end_points(paper_config)) == 48
    blocks = paper_config["settings"].values()
    planned = {block["model"] for block in blocks}
    planned |= {m for block in blocks for m in block.get("task_models", {}).values()}
    assert {j.wildcards["model"] for j in slurm_jobs if j.rule == "finetune"} == planned
    assert "results/paper/" in slurm_text and "results/default/" not in slurm_text


def test_every_submitted_job_carries_its_slurm_resources(slurm_jobs):
    local = requested.local_rules(REPO)
    sent = requested.submitted(slurm_jobs, local)
    assert {j.rule for j in sent} >= {"prune", "finetune", "lmc"}
    assert not {j.rule for j in sent} & {"stage_data", "stage_hub_model"}  # login node
    for job in sent:
        for key in ("slurm_account", "slurm_partition", "runtime", "mem_mb", "gpu"):
            assert key in job.resources, (job.rule, key, job.resources)
        assert job.runtime_h > 0 and job.resources["mem_mb"] >= 8000


def test_every_submitted_rule_is_listed_in_both_profiles(slurm_jobs):
    sent = {j.rule for j in requested.submitted(slurm_jobs, requested.local_rules(REPO))}
    for name, path in PROFILES.items():
        listed = set(yaml.safe_load(path.read_text())["set-resources"])
        assert sent <= listed, f"{name} profile lacks set-resources for {sent - listed}"


@pytest.fixture(scope="module")
def plan():
    from pipeline.cluster.plan import load_plan

    return load_plan(paper())


def test_gpus_and_walltimes_follow_the_job(slurm_jobs, plan):
    from pipeline.cluster import walltime

    def one(rule: str, **wildcards: str) -> requested.PlannedJob:
        return next(
            j
            for j in slurm_jobs
            if j.rule == rule and all(j.wildcards.get(k) == v for k, v in wildcards.items())
        )

    assert one("stage_hub_model").gpus == 0
    assert one("prune", method="magnitude").gpus == 0
    assert one("prune", method="wanda", model="vicuna_7b").gpus == 1  # runs on one device
    small = one("finetune", task="sst2", difficulty="fraction-0.1")
    big = one("finetune", task="mnli", difficulty="fraction-1", mode="sparse")
    for job in (small, big):
        expected = walltime.requested_minutes(plan, "finetune", job.wildcards, 1)
        assert (job.gpus, job.resources["runtime"]) == (1, expected)
    floor = 5  # every request adds 5 minutes to margin x estimate
    assert big.resources["runtime"] - floor > 8 * (small.resources["runtime"] - floor)
    assert one("lmc").gpus == 1
    assert max(j.resources["runtime"] for j in slurm_jobs if j.shell) <= plan.max_runtime


def test_first_principles_estimate_of_two_fine_tunes(plan):
    """SST-2 at 100% and RTE with roberta-large, counted by hand from the throughput table:
    padded tokens / train rate + one validation pass / forward rate + the load time."""
    from pipeline.cluster import walltime

    base, large = plan.models["roberta-base"], plan.models["roberta_large"]
    sst2 = (
        base.load_minutes
        + (math.ceil(67_349 / 32) * 32 * 3 * 55 / base.train + 872 * 13 / base.forward) / 60
    )
    rte = (
        large.load_minutes
        + (math.ceil(2_490 / 16) * 16 * 3 * 250 / large.train + 277 * 70 / large.forward) / 60
    )
    wc = {"model": "roberta-base", "task": "sst2", "difficulty": "fraction-1", "mode": "dense"}
    assert walltime.estimate_minutes(plan, "finetune", wc) == pytest.approx(sst2)
    wc = {"model": "roberta_large", "task": "rte", "difficulty": "task-all", "mode": "dense"}
    assert walltime.estimate_minutes(plan, "finetune", wc) == pytest.approx(rte)
    assert 2 < sst2 < 30 and 1 < rte < 15  # minutes on an A100, not hours


def test_the_cost_model_agrees_with_a_first_principles_count(slurm_jobs, plan):
    """Per setting, the estimate (rows as staged, the throughput table, loads) and the
    count from FLOPs (6 x params x trained tokens, 2 x params x evaluated tokens at the
    table's assumed utilisation; decoding at the memory bandwidth) agree within 30%, except
    the zero-shot Vicuna setting, whose time is eager decoding and model loads (a FLOP and
    byte count sees neither): there the estimate is the larger."""
    result = requested.estimate(slurm_jobs, requested.local_rules(REPO), plan)
    assert plan.first_principles["measured"] is False  # the report says so
    for setting, row in result["settings"].items():
        if setting == "staging":  # no model computes here: the GPU preflight's minutes only
            assert row["first_principles_gpu_hours"] == 0 and row["gpu_hours"] < 1, row
            continue
        ratio = row["gpu_hours"] / row["first_principles_gpu_hours"]
        if setting == "book":
            assert 1.3 < ratio < 5, ratio
        else:
            assert 0.7 <= ratio <= 1.3, (setting, ratio)


def test_only_short_fine_tunes_are_packed_and_no_pack_exceeds_max_runtime(slurm_jobs, plan):
    from pipeline.cluster import packing

    packs = requested.packs(slurm_jobs)
    finetunes = [j for j in slurm_jobs if j.rule.startswith("finetune")]
    assert packs and max(len(p) for p in packs.values()) == plan.pack_size
    for job in finetunes:
        packable = packing.packable(plan, job.rule, job.wildcards)
        assert (job.pack is not None) == packable, job.wildcards
    for members in packs.values():
        assert sum(j.resources["runtime"] for j in members) <= plan.max_runtime
    # Alone: the long runs, and the runs that keep their model (never packed).
    alone = [j for j in finetunes if j.pack is None and j.rule == "finetune"]
    assert alone and all(j.resources["runtime"] > plan.max_runtime / 4 / 3 for j in alone)


def test_cost_is_the_models_estimate_per_setting_and_rule(slurm_jobs, plan, paper_config):
    from pipeline import study
    from pipeline.cluster import walltime

    local = requested.local_rules(REPO)
    result = requested.estimate(slurm_jobs, local, plan)
    # Independent of the parser: the model over the config's cells (one GPU each).
    cells = study.cells(paper_config)
    expected = sum(walltime.estimate_minutes(plan, "finetune", c.wildcards) for c in cells)
    finetune = result["rules"]["finetune"]["gpu_hours"]
    assert finetune + result["rules"]["finetune_keep_model"]["gpu_hours"] == pytest.approx(
        expected / 60
    )
    by_setting = {s: 0.0 for s in paper_config["settings"]}
    for c in cells:
        by_setting[c.setting] += walltime.estimate_minutes(plan, "finetune", c.wildcards) / 60
    for setting, hours in by_setting.items():
        row = result["settings"][setting]
        lmc = sum(  # and setting 2's continued training, counted towards its setting
            walltime.estimate_minutes(plan, j.rule, j.wildcards) / 60
            for j in slurm_jobs
            if j.rule in ("lmc", "continue_train")
            and walltime.job_setting(plan, j.rule, j.wildcards) == setting
        )
        assert row["gpu_hours"] == pytest.approx(hours + lmc)
    assert result["gpu_hours"] == pytest.approx(
        sum(r["gpu_hours"] for r in result["rules"].values())
    )
    assert result["requested_gpu_hours"] > result["gpu_hours"]  # the margin
    assert not {"stage_data", "stage_hub_model"} & set(result["rules"])  # login node: no cost
    assert result["slurm_submissions"] < result["jobs"]
    assert result["longest_pack_hours"] <= plan.max_runtime / 60


def test_cost_verb_prints_the_total(slurm_text, tmp_path):
    saved = tmp_path / "dry.txt"
    saved.write_text(slurm_text)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline",
            "cost",
            "--dry-run-output",
            str(saved),
            "--json",
            str(tmp_path / "cost.json"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    from pipeline.cluster.plan import load_plan

    plan = load_plan(paper())
    jobs = requested.parse_dry_run(slurm_text)
    expected = requested.estimate(jobs, requested.local_rules(REPO), plan)
    assert f"total: {expected['gpu_hours']:.1f} GPU-hours estimated" in run.stdout
    for setting in ("data_fraction", "languages", "book", "across_tasks"):
        assert f"{setting:<22}" in run.stdout
    assert yaml.safe_load((tmp_path / "cost.json").read_text())["jobs"] == expected["jobs"]


def test_parse_dry_run_keeps_group_membership():
    text = (
        "[Mon] Group job pack-a (jobs in lexicogr. order):\n\n"
        "    [Mon]\n    rule finetune:\n        wildcards: task=a, seed=1\n"
        "        resources: mem_mb=16000, runtime=30, gpu=1\nShell command: python x\n\n"
        "    [Mon]\n    rule finetune:\n        wildcards: task=a, seed=2\n"
        "        resources: runtime=40, gpu=1\nShell command: python x\n"
        "[Mon]\nrule lmc:\n    resources: runtime=60, gres=gpu:a100:2\nShell command: python z\n"
        "[Mon]\nrule collect:\n    resources: runtime=60\nShell command: python y\n"
        "[Mon]\nrule all:\n    resources: runtime=60\nShell command: None\n"
    )
    jobs = requested.parse_dry_run(text)
    assert [(j.rule, j.pack) for j in jobs] == [
        ("finetune", 1),
        ("finetune", 1),
        ("lmc", None),
        ("collect", None),
        ("all", None),
    ]
    assert jobs[1].wildcards == {"task": "a", "seed": "2"}
    assert [j.gpus for j in jobs] == [1, 1, 2, 0, 0]
    result = requested.summary(jobs, local={"collect"})
    assert result["gpu_hours"] == pytest.approx((30 + 40 + 2 * 60) / 60)
    assert (result["jobs"], result["slurm_submissions"]) == (3, 2)


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_profile_keys_are_known_to_snakemake_and_the_plugin(name):
    from snakemake.cli import get_argument_parser
    from snakemake_executor_plugin_slurm import ExecutorSettings

    options = {o for a in get_argument_parser()._actions for o in a.option_strings}
    plugin = {f.name for f in dataclasses.fields(ExecutorSettings)}
    for key in load_profile(PROFILES[name], ["snakemake", "-n", "all_figures"]):
        assert f"--{key}" in options, f"{name}: unknown profile key {key!r}"
        if key.startswith("slurm-"):
            assert key.removeprefix("slurm-").replace("-", "_") in plugin, key


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_profile_values_parse_with_snakemake_parsers(name):
    from snakemake.cli import parse_set_resource_scope, parse_set_resources, parse_set_threads

    profile = load_profile(PROFILES[name], ["snakemake", "-n", "all_figures"])
    resources = parse_set_resources(
        [
            f"{rule}:{k}={v}"
            for rule, res in profile["set-resources"].items()
            for k, v in res.items()
        ]
    )
    assert resources["finetune"]["gpu"].value == 1
    assert parse_set_threads([f"{r}={t}" for r, t in profile["set-threads"].items()])
    if "set-resource-scopes" in profile:
        scopes = parse_set_resource_scope(
            [f"{r}={s}" for r, s in profile["set-resource-scopes"].items()]
        )
        assert scopes.is_local("gpu")


def test_workstation_gives_gpus_to_exactly_the_jobs_whose_verbs_lock_one():
    """Per job of the workstation dry run: gpu > 0 iff its verb locks a device, i.e. a GPU
    verb not told --device cpu (magnitude/random/RTN prunes)."""
    jobs, rule, gpus = [], None, 0
    for line in dry_run("workstation").splitlines():
        if m := requested.JOB_RE.match(line):
            rule, gpus = m["rule"], 0
        elif line.strip().startswith("resources:"):
            gpus = int(m_gpu[1]) if (m_gpu := re.search(r"\bgpu=(\d+)", line)) else 0
        elif line.strip().startswith("Shell command: python -m pipeline "):
            jobs.append((rule, gpus, line.split()[5], line))
    assert {"finetune", "prune", "prune_weights", "lmc"} <= {rule for rule, *_ in jobs}
    cpu_prunes = [j for j in jobs if j[0].startswith("prune") and "--device cpu" in j[3]]
    assert cpu_prunes and any(j[0].startswith("prune") and j[1] for j in jobs)
    for rule, gpus, verb, shell in jobs:
        locks = verb in gpu_slots.GPU_VERBS and "--device cpu" not in shell
        assert (gpus > 0) == locks, (rule, verb, shell[:200])


def test_workstation_dry_run_parses():
    jobs = requested.parse_dry_run(dry_run("workstation"))
    finetunes = [j for j in jobs if j.rule == "finetune"]
    assert finetunes and all(j.gpus == 1 and j.pack is None for j in finetunes)
