"""Planning a cluster run: every job sized from the rows staging wrote, resources that follow
the merged config, and no placeholder reaching a submission."""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline.cluster import placeholders, walltime
from pipeline.cluster.plan import load_plan
from tests.conftest import paper

REPO = Path(__file__).resolve().parents[1]
PAPER = paper()
MAJORITY = {  # setting 2 fine-tunes mBART after its continued training (at mBART's rates)
    "model": "mbart_cc25_mt",
    "task": "opus100",
    "difficulty": "lang-majority",
    "compression": "dense",
    "mode": "dense",
    "seed": "41",
}
TARGET = "runs/mbart_cc25_mt/opus100/lang-majority/dense/dense/seed41/metrics.json"
OFFLINE = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}


def stage_manifests(results: Path, train: dict[str, int]) -> None:
    """staged.json of the OPUS-100 pairs, as staging writes it, with these train rows."""
    for pair, rows in train.items():
        folder = results / "data" / f"Helsinki-NLP__opus-100__{pair}"
        folder.mkdir(parents=True)
        (folder / "staged.json").write_text(
            json.dumps({"rows": {"train": rows, "validation": 2000}})
        )


def uncapped(results: Path) -> dict:
    config = copy.deepcopy(PAPER)
    config["results_dir"] = str(results)
    config["settings"]["languages"]["max_train_rows_per_pair"] = None
    return config


def test_a_4m_row_study_is_priced_from_its_manifest_within_the_partition(tmp_path):
    stage_manifests(tmp_path, {"en-ru": 1_000_000, "en-vi": 1_000_000})
    plan = load_plan(uncapped(tmp_path))
    size = walltime.task_size(plan, "opus100", "lang-majority", "languages", 256)
    assert size.n_train == 4_000_000  # 2 pairs x 1M x 2 directions, from the manifests
    estimate = walltime.estimate_minutes(plan, "finetune", MAJORITY)
    request = walltime.requested_minutes(plan, "finetune", MAJORITY, 1)
    assert estimate <= request <= plan.max_runtime
    # The paper config's cap (100k per pair: 400k rows) prices it about 10x lower.
    capped = load_plan(PAPER)
    assert estimate > 8 * walltime.estimate_minutes(capped, "finetune", MAJORITY)


def test_a_job_over_the_partition_limit_is_refused_naming_what_to_shrink(tmp_path):
    stage_manifests(tmp_path, {"en-ru": 1_000_000, "en-vi": 1_000_000})
    table = yaml.safe_load((REPO / "slurm" / "throughput.yaml").read_text())
    table["gpus"]["a100"]["mbart_cc25"]["train"] = 8000  # a slower GPU than the table's
    (tmp_path / "throughput.yaml").write_text(yaml.safe_dump(table))
    plan = load_plan(uncapped(tmp_path), tmp_path / "throughput.yaml")
    with pytest.raises(walltime.TooLong, match="max_train_rows_per_pair") as error:
        walltime.requested_minutes(plan, "finetune", MAJORITY, 1)
    assert "over the partition's 24 h" in str(error.value)
    # The paper config's cap (100k rows per pair) brings the same job under the limit.
    capped = {**uncapped(tmp_path), "settings": PAPER["settings"]}
    plan = load_plan(capped, tmp_path / "throughput.yaml")
    assert walltime.task_size(plan, "opus100", "lang-majority", "languages", 256).n_train == 400_000
    assert walltime.requested_minutes(plan, "finetune", MAJORITY, 1) <= plan.max_runtime


def test_published_counts_price_a_study_before_staging_with_its_caps():
    plan = load_plan(PAPER)
    assert plan.rows["Helsinki-NLP__opus-100__en-ru"] == {"train": 100_000, "validation": 2000}
    assert plan.rows["Helsinki-NLP__opus-100__en-my"]["train"] == 24_594  # under the cap
    assert plan.rows["mandarjoshi__trivia_qa__rc"] == {"validation": 2000}  # the first 2,000
    assert plan.rows["nyu-mll__glue__mnli"] == {"train": 392_702, "validation_matched": 9815}
    assert plan.mem_mb("vicuna_7b") > plan.mem_mb("roberta-base")


def slurm_dry_run(directory: Path, *extra: str) -> str:
    """The SLURM profile's dry run of one setting-2 fine-tune, in ``directory``."""
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "--profile",
            "slurm",
            "-n",
            f"{directory}/{TARGET}",
            *extra,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=OFFLINE,
        timeout=300,
    )
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    return run.stdout + run.stderr


def finetune_resources(text: str) -> dict[str, str]:
    block = text[re.search(r"rule finetune(_keep_model)?:", text).start() :]
    return dict(re.findall(r"(runtime|mem_mb)=(\d+)", block.split("\n\n")[0]))


def test_a_config_override_changes_the_walltime(tmp_path):
    """`--config results_dir=...` reaches the walltime: that study's staged manifest holds
    10x the rows, so its majority run asks for more time (the profile reads the plan the
    Snakefile built from the merged config, not a file named on the command line)."""
    base = finetune_resources(slurm_dry_run(Path("results/paper")))
    stage_manifests(tmp_path, {"en-ru": 1_000_000, "en-vi": 1_000_000})
    other = tmp_path / "other.yaml"
    other.write_text(yaml.safe_dump(uncapped(tmp_path)))
    overridden = finetune_resources(
        slurm_dry_run(tmp_path, "--configfile", str(other), "--config", f"results_dir={tmp_path}")
    )
    assert int(overridden["runtime"]) > 3 * int(base["runtime"]), (base, overridden)
    assert base["mem_mb"] == overridden["mem_mb"] == str(32000)  # mBART's host memory


def test_placeholders_are_listed_with_their_file_and_key():
    found = placeholders.unpinned(PAPER, ["configs/paper.yaml"])
    keys = [re.search(r": (\S+) is 'UNPINNED'", line)[1] for line in found]
    assert sorted(keys) == sorted(
        [
            "models.mbart_cc25.revision",
            "datasets.Helsinki-NLP/opus-100.revision",
            "datasets.MU-NLPC/Calc-mawps.revision",
        ]
    )
    assert all(line.startswith("configs/paper.yaml: ") for line in found)
    assert "repo_info('facebook/mbart-large-cc25', repo_type='model')" in found[0]
    assert placeholders.unpinned({**PAPER, "hub_mirror": "/mirror"}, []) == []
    profile = placeholders.resource_placeholders(
        "slurm/config.v8+.yaml",
        {"slurm_account": "CHANGE_ME_account", "runtime": 60},
        {"stage_data": {"slurm_partition": "'CHANGE_ME_partition_with_internet'"}},
    )
    assert profile == [
        "slurm/config.v8+.yaml: default-resources.slurm_account is 'CHANGE_ME_account'",
        "slurm/config.v8+.yaml: set-resources.stage_data.slurm_partition is "
        "\"'CHANGE_ME_partition_with_internet'\"",
    ]


@pytest.mark.workflow
def test_a_real_run_refuses_placeholders_before_submitting_anything(tmp_path):
    """`snakemake --profile slurm` (not -n) with the shipped profile and paper config stops
    before any job, naming each placeholder; SLURM's commands are stood in and record any
    submission."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for command in ("sbatch", "sacct", "srun", "sinfo", "sacctmgr", "sshare", "squeue"):
        stub = bin_dir / command
        stub.write_text(
            f'#!/bin/sh\nexec "{sys.executable}" "{REPO}/tests/fake_slurm.py" {command} "$@"\n'
        )
        stub.chmod(0o755)
    env = {
        **OFFLINE,
        "FAKE_SLURM_DIR": str(tmp_path / "slurm"),
        "PATH": f"{bin_dir}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}"
        f"{os.environ['PATH']}",
    }
    # The profile as shipped but for conda (not installed here): SOFTWARE none.
    profile = tmp_path / "profile"
    profile.mkdir()
    text = (REPO / "slurm" / "config.v8+.yaml").read_text()
    (profile / "config.v8+.yaml").write_text(text.replace("SOFTWARE: conda", "SOFTWARE: none"))
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "--profile",
            str(profile),
            f"{tmp_path}/{TARGET}",
            "--config",
            f"results_dir={tmp_path}",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    out = run.stdout + run.stderr
    assert run.returncode != 0, out[-3000:]
    assert f"{profile}/config.v8+.yaml: default-resources.slurm_account" in out, out[-3000:]
    assert "default-resources.slurm_partition is 'CHANGE_ME_gpu_partition'" in out
    assert "models.mbart_cc25.revision is 'UNPINNED'" in out
    assert not (tmp_path / "slurm").exists()  # nothing was submitted
    assert not (tmp_path / "data").exists()  # nor staged
    # The same command as a dry run plans the job.
    dry = subprocess.run([*run.args, "-n"], cwd=REPO, capture_output=True, text=True, env=env)
    assert dry.returncode == 0, (dry.stdout + dry.stderr)[-3000:]
