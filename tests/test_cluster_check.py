"""The preflight's parts without a cluster: SLURM's text formats, the limits against the
requests of a real dry run of the shipped profile (every attempt), and the profile's
software choice. The whole verb against a real SLURM is in tests/test_slurm_real.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline.cluster import requested
from pipeline.cluster.slurm_limits import (
    Node,
    Partition,
    check_submissions,
    gres_gpus,
    parse_partitions,
    profile_retries,
    requests,
    slurm_minutes,
)
from tests.conftest import load_profile, member_minutes, tiny_study

REPO = Path(__file__).resolve().parents[1]
PROFILE = REPO / "slurm" / "config.v8+.yaml"

SINFO = """gpu*|g1|64|256000|gpu:a100:4(S:0-1)
gpu*|g2|32|128000|gpu:a100:2,gpu:v100:2
cpu|c1|128|512000|(null)
"""
SCONTROL = (
    "PartitionName=gpu Default=YES MaxTime=2-00:00:00 MaxCPUsPerNode=48 "
    "MaxMemPerNode=UNLIMITED Nodes=g[1-2]\n"
    "PartitionName=cpu MaxTime=UNLIMITED MaxCPUsPerNode=UNLIMITED MaxMemPerNode=UNLIMITED "
    "Nodes=c1\n"
)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("30", 30),
        ("30:01", 31),
        ("4:00:00", 240),
        ("1-00:00:00", 1440),
        ("2-12", 3600),
        ("1-2:30", 1590),
        ("UNLIMITED", None),
        ("INFINITE", None),
    ],
)
def test_slurm_time_formats(text, minutes):
    assert slurm_minutes(text) == minutes


def test_gpus_are_counted_from_any_gres_string():
    assert gres_gpus("gpu:2") == 2
    assert gres_gpus("gpu:a100:4(S:0-1)") == 4
    assert gres_gpus("gpu:a100:2,gpu:v100:2") == 4
    assert gres_gpus("(null)") == 0


def test_partitions_are_read_from_sinfo_and_scontrol():
    parts = parse_partitions(SINFO, SCONTROL)
    gpu, cpu = parts["gpu"], parts["cpu"]
    assert gpu.default and not cpu.default
    assert gpu.nodes == (Node("g1", 64, 256000, 4), Node("g2", 32, 128000, 4))
    assert (gpu.max_minutes, gpu.max_cpus_per_node, gpu.max_mem_per_node) == (2880, 48, None)
    assert (cpu.max_minutes, cpu.nodes[0].gpus) == (None, 0)


def dry_run(tmp_path: Path, attempt: int) -> str:
    """The shipped profile's dry run of a two-seed tiny study at ``attempt``."""
    config = tmp_path / "study.yaml"
    config.write_text(
        yaml.safe_dump(tiny_study(tmp_path / "results", [0.5], ["dense"], [0, 1], [1.0]))
    )
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    extra = ["--configfile", str(config), "--directory", str(tmp_path), "--cores", "100000"]
    extra += ["--snakefile", str(REPO / "Snakefile"), "--attempt", str(attempt)]
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "--profile", str(PROFILE.parent), "-n", *extra],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout + run.stderr


@pytest.fixture(scope="module")
def attempts(tmp_path_factory) -> dict[int, list]:
    tmp = tmp_path_factory.mktemp("check")
    local = requested.local_rules(REPO)
    return {a: requests(dry_run(tmp, a), local) for a in (1, 3)}


def test_a_pack_asks_for_its_largest_member_and_the_sum_of_the_walltimes(attempts):
    by_what = {r.what.split()[0]: r for r in attempts[1]}
    assert sorted(by_what) == ["make_world", "pack", "stage_model"]
    pack = by_what["pack"]
    # model m is not in the throughput table: its default row, two runs summed
    assert (pack.cpus, pack.mem_mb, pack.gpus) == (4, 16000, 1)
    assert pack.minutes == 2 * member_minutes(1)
    assert by_what["make_world"].gpus == 0
    assert by_what["make_world"].partition == "CHANGE_ME_gpu_partition"
    third = {r.what.split()[0]: r for r in attempts[3]}["pack"]
    assert (third.mem_mb, third.minutes) == (48000, 2 * member_minutes(3))  # retries' scaling


def test_what_a_partition_cannot_hold_is_reported_on_the_attempt_that_asks_it(attempts):
    small = Partition("gpu", (Node("n1", 8, 32000, 1),), max_minutes=30, default=True)
    first = [r for r in attempts[1] if r.what.startswith("pack")]
    third = [r for r in attempts[3] if r.what.startswith("pack")]
    renamed = [r.__class__(**{**r.__dict__, "partition": "gpu"}) for r in first + third]
    first_problems = check_submissions(renamed[:1], {"gpu": small})
    assert first_problems == []
    third_problems = check_submissions(renamed[1:], {"gpu": small})
    assert any(
        "48000 MB of memory; partition gpu offers at most 32000" in p for p in third_problems
    )
    asks = f"asks for {2 * member_minutes(3)} min; partition gpu allows 30 min"
    assert any(asks in p for p in third_problems)
    no_gpus = Partition("gpu", (Node("n1", 8, 64000, 0),), default=True)
    assert check_submissions(renamed[:1], {"gpu": no_gpus}) == [
        "pack finetune-pack (2 jobs): asks for 1 GPUs; partition gpu offers at most 0 per node"
    ]
    split = Partition("gpu", (Node("a", 8, 1000, 1), Node("b", 8, 64000, 0)), default=True)
    assert (
        "no node of partition gpu has all three"
        in check_submissions(renamed[:1], {"gpu": split})[0]
    )
    assert "partition 'gpu' does not exist" in check_submissions(renamed[:1], {"cpu": split})[0]


def test_the_plugins_partition_file_gives_the_limits_without_sinfo(attempts, tmp_path):
    from pipeline.cluster.slurm_limits import partitions_from_config

    # As `generate-slurm-partition-config` writes it (the plugin's own reader parses it).
    (tmp_path / "partitions.yaml").write_text(
        yaml.safe_dump(
            {
                "partitions": {
                    "gpu": {"max_runtime": "00:30:00", "max_threads": 8, "max_gpu": 1},
                    "cpu": {"max_runtime": "2-00:00:00", "max_mem_mb": 64000},
                }
            }
        )
    )
    parts = partitions_from_config(tmp_path / "partitions.yaml")
    assert (parts["gpu"].max_minutes, parts["cpu"].max_minutes) == (30, 2880)
    assert parts["cpu"].nodes[0].gpus == 0 and parts["gpu"].nodes[0].cpus == 8
    packs = [
        r.__class__(**{**r.__dict__, "partition": "gpu"})
        for r in attempts[3]
        if r.what.startswith("pack")
    ]
    asks = f"asks for {2 * member_minutes(3)} min; partition gpu allows 30 min"
    assert any(asks in p for p in check_submissions(packs, parts))
    on_cpu = [r.__class__(**{**r.__dict__, "partition": "cpu"}) for r in packs]
    assert "asks for 1 GPUs; partition cpu offers at most 0" in check_submissions(on_cpu, parts)[0]


def test_the_retries_checked_are_the_profiles():
    assert profile_retries(str(PROFILE.parent)) == 2


def test_the_software_is_chosen_in_the_edit_block(tmp_path):
    conda = tmp_path / "conda"
    conda.write_text("#!/bin/sh\n")
    conda.chmod(0o755)
    run, dry = ["snakemake", "all_figures"], ["snakemake", "-n", "all_figures"]
    method = "software-deployment-method"
    assert load_profile(PROFILE, run, str(tmp_path), "conda")[method] == "conda"
    assert load_profile(PROFILE, dry, "/nonexistent", "conda")[method] is None  # a laptop's dry run
    assert load_profile(PROFILE, run, str(tmp_path), "none")[method] is None  # module or venv
    assert load_profile(PROFILE, run, "/nonexistent", "none")[method] is None
    with pytest.raises(Exception, match="no `conda` on PATH.*SOFTWARE: none"):
        load_profile(PROFILE, run, "/nonexistent", "conda")
    with pytest.raises(Exception, match="SOFTWARE .* is 'mamba'; allowed: 'conda', 'none'"):
        load_profile(PROFILE, run, str(tmp_path), "mamba")
