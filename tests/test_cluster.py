"""The SLURM and workstation profiles: the paper DAG as the user types it, resources, cost."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from pipeline import cluster, gpu_slots

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


def load_profile(name: str, argv: list[str], path: str | None = None) -> dict:
    """The profile as Snakemake reads it: a YTE template evaluated for this command line."""
    import yte

    saved_argv, saved_path = sys.argv, os.environ["PATH"]
    sys.argv = argv
    os.environ["PATH"] = saved_path if path is None else path
    try:
        with PROFILES[name].open() as stream:
            return yte.process_yaml(stream, require_use_yte=True)
    finally:
        sys.argv, os.environ["PATH"] = saved_argv, saved_path


@pytest.mark.parametrize("name", ["workstation"])  # slurm: tests/test_cluster_check.py
def test_conda_is_used_except_for_a_dry_run_without_conda(name, tmp_path):
    conda = tmp_path / "conda"
    conda.write_text("#!/bin/sh\n")
    conda.chmod(0o755)
    run, dry = ["snakemake", "all_figures"], ["snakemake", "-n", "all_figures"]
    assert load_profile(name, run, path="/nonexistent")["software-deployment-method"] == "conda"
    assert load_profile(name, dry, path=str(tmp_path))["software-deployment-method"] == "conda"
    assert load_profile(name, dry, path="/nonexistent")["software-deployment-method"] is None


@pytest.fixture(scope="module")
def slurm_text() -> str:
    return dry_run("slurm")


@pytest.fixture(scope="module")
def slurm_jobs(slurm_text) -> list[cluster.PlannedJob]:
    return cluster.parse_dry_run(slurm_text)


@pytest.fixture(scope="module")
def paper() -> dict:
    return yaml.safe_load((REPO / "configs" / "paper.yaml").read_text())


def test_dry_run_lists_every_job_of_the_paper_study(slurm_text, slurm_jobs, paper):
    from pipeline import study

    assert Counter(j.rule for j in slurm_jobs) == Counter(cluster.job_stats(slurm_text))
    assert cluster.job_stats(slurm_text)["finetune"] == len(study.cells(paper))
    planned = {block["model"] for block in paper["settings"].values()}
    assert {j.wildcards["model"] for j in slurm_jobs if j.rule == "finetune"} == planned
    assert "results/paper/" in slurm_text and "results/default/" not in slurm_text


def test_every_submitted_job_carries_its_slurm_resources(slurm_jobs):
    local = cluster.local_rules(REPO)
    sent = cluster.submitted(slurm_jobs, local)
    assert {j.rule for j in sent} >= {"prune", "finetune", "lmc"}
    assert not {j.rule for j in sent} & {"stage_data", "stage_hub_model"}  # login node
    for job in sent:
        for key in ("slurm_account", "slurm_partition", "runtime", "mem_mb", "gpu"):
            assert key in job.resources, (job.rule, key, job.resources)
        assert job.runtime_h > 0 and job.resources["mem_mb"] >= 8000


def test_every_submitted_rule_is_listed_in_both_profiles(slurm_jobs):
    sent = {j.rule for j in cluster.submitted(slurm_jobs, cluster.local_rules(REPO))}
    for name, path in PROFILES.items():
        listed = set(yaml.safe_load(path.read_text())["set-resources"])
        assert sent <= listed, f"{name} profile lacks set-resources for {sent - listed}"


def test_gpus_and_walltimes_follow_the_job(slurm_jobs):
    def one(rule: str, **wildcards: str) -> cluster.PlannedJob:
        return next(
            j
            for j in slurm_jobs
            if j.rule == rule and all(j.wildcards.get(k) == v for k, v in wildcards.items())
        )

    assert one("stage_hub_model").gpus == 0
    assert one("prune", method="magnitude").gpus == 0
    small = one("finetune", task="sst2", difficulty="fraction-0.1")
    big = one("finetune", task="mnli", difficulty="fraction-1")
    assert (small.gpus, small.resources["runtime"]) == (1, 12)  # 10 + round(15 * 0.1)
    assert (big.gpus, big.resources["runtime"]) == (1, 110)  # 10 + 100 * 1.0
    assert one("lmc").gpus == 1


def test_fine_tunes_are_packed_by_size_at_most_four_per_allocation(slurm_jobs):
    packs = cluster.packs(slurm_jobs)
    finetunes = [j for j in slurm_jobs if j.rule == "finetune"]
    assert all(j.pack is not None for j in finetunes)
    assert sum(len(p) for p in packs.values()) == len(finetunes)
    assert max(len(p) for p in packs.values()) == 4
    for members in packs.values():
        sizes = {
            (j.wildcards["model"], j.wildcards["task"], j.wildcards["difficulty"]) for j in members
        }
        assert len(sizes) == 1


def test_cost_is_gpus_times_requested_walltime(slurm_jobs, paper):
    result = cluster.summary(slurm_jobs, cluster.local_rules(REPO))
    # Independent of the parser: the profile's finetune walltime formula over the config.
    from pipeline import study

    minutes = {"sst2": 15, "qnli": 30, "mnli": 100}

    def walltime(cell):
        axis, _, level = cell.difficulty.partition("-")
        fraction = float(level) if axis == "fraction" else 1.0
        large = 4 if "large" in cell.model else 1
        return 10 + round(minutes.get(cell.task, 100) * large * fraction)

    expected = sum(walltime(c) for c in study.cells(paper)) / 60
    assert result["rules"]["finetune"]["gpu_hours"] == pytest.approx(expected)
    assert result["gpu_hours"] == pytest.approx(
        sum(r["gpu_hours"] for r in result["rules"].values())
    )
    assert not {"stage_data", "stage_hub_model"} & set(result["rules"])  # login node: no cost
    assert result["slurm_submissions"] < result["jobs"]
    assert result["longest_pack_hours"] >= 4 * 110 / 60  # four full MNLI runs of a pack


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
    expected = cluster.summary(cluster.parse_dry_run(slurm_text), cluster.local_rules(REPO))
    assert f"total: {expected['gpu_hours']:.1f} GPU-hours" in run.stdout
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
    jobs = cluster.parse_dry_run(text)
    assert [(j.rule, j.pack) for j in jobs] == [
        ("finetune", 1),
        ("finetune", 1),
        ("lmc", None),
        ("collect", None),
        ("all", None),
    ]
    assert jobs[1].wildcards == {"task": "a", "seed": "2"}
    assert [j.gpus for j in jobs] == [1, 1, 2, 0, 0]
    result = cluster.summary(jobs, local={"collect"})
    assert result["gpu_hours"] == pytest.approx((30 + 40 + 2 * 60) / 60)
    assert (result["jobs"], result["slurm_submissions"]) == (3, 2)


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_profile_keys_are_known_to_snakemake_and_the_plugin(name):
    from snakemake.cli import get_argument_parser
    from snakemake_executor_plugin_slurm import ExecutorSettings

    options = {o for a in get_argument_parser()._actions for o in a.option_strings}
    plugin = {f.name for f in dataclasses.fields(ExecutorSettings)}
    for key in load_profile(name, ["snakemake", "-n", "all_figures"]):
        assert f"--{key}" in options, f"{name}: unknown profile key {key!r}"
        if key.startswith("slurm-"):
            assert key.removeprefix("slurm-").replace("-", "_") in plugin, key


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_profile_values_parse_with_snakemake_parsers(name):
    from snakemake.cli import parse_set_resource_scope, parse_set_resources, parse_set_threads

    profile = load_profile(name, ["snakemake", "-n", "all_figures"])
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


def test_workstation_gives_gpus_to_exactly_the_rules_whose_verbs_lock_one(slurm_text):
    """Rule -> verb from the dry run's shell commands; gpu > 0 iff the verb locks a device."""
    profile = yaml.safe_load(PROFILES["workstation"].read_text())["set-resources"]
    verbs = {}
    rule = None
    for line in slurm_text.splitlines():
        if m := cluster.JOB_RE.match(line):
            rule = m["rule"]
        elif line.startswith("Shell command: python -m pipeline ") and rule in profile:
            verbs[rule] = line.split()[5]
    assert verbs
    for rule, verb in verbs.items():
        assert (int(profile[rule]["gpu"]) > 0) == (verb in gpu_slots.GPU_VERBS), (rule, verb)


def test_workstation_dry_run_parses():
    jobs = cluster.parse_dry_run(dry_run("workstation"))
    finetunes = [j for j in jobs if j.rule == "finetune"]
    assert finetunes and all(j.gpus == 1 and j.pack is None for j in finetunes)
