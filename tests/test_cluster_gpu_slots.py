"""One GPU per job on a multi-GPU machine: real processes contending for device locks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cluster import gpu_slots

REPO = Path(__file__).resolve().parents[1]
CLAIM = (
    "import os, sys, time; from pipeline.cluster import gpu_slots; "
    "d = gpu_slots.claim(sys.argv[1], sys.argv[2] or None, poll_s=0.05); "
    "print(d, repr(os.environ['CUDA_VISIBLE_DEVICES']), flush=True); time.sleep(60)"
)


def start(verb: str, lock_dir: Path, device: str = "", **env: str) -> subprocess.Popen:
    environ = {**os.environ, "CUDA_VISIBLE_DEVICES": "3,5", gpu_slots.LOCK_DIR_ENV: str(lock_dir)}
    environ.pop("SLURM_JOB_ID", None)
    return subprocess.Popen(
        [sys.executable, "-c", CLAIM, verb, device],
        cwd=REPO,
        env={**environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def procs():
    started: list[subprocess.Popen] = []
    yield started
    for p in started:
        p.kill()
        p.wait()


def test_gpu_jobs_get_distinct_devices_and_a_third_waits_for_a_free_one(tmp_path, procs):
    procs += [start("finetune", tmp_path), start("lmc", tmp_path)]
    holder = {}
    for p in procs:
        device, visible = p.stdout.readline().split()
        assert visible == f"'{device}'"  # the process sees its own device only
        holder[device] = p
    assert sorted(holder) == ["3", "5"]
    third = start("finetune", tmp_path)
    procs.append(third)
    assert "all 2 GPUs busy" in third.stderr.readline()
    holder["5"].kill()
    holder["5"].wait()
    assert third.stdout.readline().split() == ["5", "'5'"]  # the lock died with its process


def test_other_verbs_see_no_gpu_and_slurm_jobs_are_left_alone(tmp_path, procs):
    cpu = start("collect", tmp_path)
    cpu_prune = start("prune", tmp_path, device="cpu")  # magnitude/random/RTN: --device cpu
    slurm = start("finetune", tmp_path, SLURM_JOB_ID="7")
    procs += [cpu, cpu_prune, slurm]
    assert cpu.stdout.readline().split() == ["None", "''"]
    assert cpu_prune.stdout.readline().split() == ["None", "''"]
    assert slurm.stdout.readline().split() == ["None", "'3,5'"]


def test_no_visible_gpu_changes_nothing(monkeypatch):
    monkeypatch.delenv("SLURM_JOB_ID", raising=False)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert gpu_slots.claim("finetune") is None
    assert os.environ["CUDA_VISIBLE_DEVICES"] == ""
