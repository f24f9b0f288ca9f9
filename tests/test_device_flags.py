"""The job's GPU or a loud failure, read from the rendered DAG (``snakemake -n -p``): every
model-running job of the paper study passes --device cuda (a calibration-free compression,
which SLURM gives no GPU, --device cpu) and waits for the one GPU preflight job; the
default study passes --device cpu everywhere and has no preflight."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.compress.registry import METHODS

pytestmark = pytest.mark.workflow
REPO = Path(__file__).resolve().parents[1]
MODEL_VERBS = {"finetune", "lmc", "prune", "evaluate", "gpu-preflight"}


def rendered_jobs(*args: str) -> list[dict[str, str]]:
    """(rule, input, shell) of every job of ``snakemake -n -p all_figures``."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "-p", "all_figures", *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    jobs, job = [], None
    for line in run.stdout.splitlines():
        if m := re.match(r"^\s*(?:local)?rule (\w+):$", line):
            job = {"rule": m[1], "input": "", "shell": ""}
            jobs.append(job)
        elif job is not None and line.strip().startswith("input: "):
            job["input"] = line.strip()
        elif job is not None and line.startswith("Shell command: "):
            job["shell"] = line
    return jobs


def _verb(job: dict[str, str]) -> str | None:
    m = re.match(r"Shell command: python -m pipeline ([\w-]+)", job["shell"])
    return m[1] if m else None


def _device(shell: str) -> str | None:
    """The device a job's command names: its --device, or its run spec's (finetune)."""
    found = re.search(r"--device (\S+)|\"device\": \"([\w:]+)\"", shell)
    return (found[1] or found[2]) if found else None


def test_every_gpu_job_of_the_paper_study_passes_cuda_and_waits_for_the_preflight():
    jobs = rendered_jobs("--configfile", "configs/paper.yaml")
    model_jobs = [j for j in jobs if _verb(j) in MODEL_VERBS]
    assert {_verb(j) for j in model_jobs} >= {"finetune", "lmc", "prune", "gpu-preflight"}
    preflight = [j for j in jobs if j["rule"] == "gpu_preflight"]
    assert len(preflight) == 1 and "--device cuda" in preflight[0]["shell"]
    on_gpu = 0
    for job in model_jobs:
        device = _device(job["shell"])
        assert device, job["shell"][:300]
        method = re.search(r"--method (\S+)", job["shell"])
        expected = "cpu" if method and not METHODS[method[1]].needs_calibration else "cuda"
        assert device == expected, job["shell"][:300]
        if expected == "cuda" and job["rule"] != "gpu_preflight":
            on_gpu += 1
            assert "logs/gpu_preflight.json" in job["input"], job["rule"]
        elif job["rule"] != "gpu_preflight":
            assert "gpu_preflight" not in job["input"], job["rule"]
    assert on_gpu > 1000  # the paper study's fine-tunes, LMC and calibrated prunes


def test_the_default_study_runs_every_model_on_the_cpu_without_a_preflight():
    jobs = rendered_jobs()
    model_jobs = [j for j in jobs if _verb(j) in MODEL_VERBS]
    assert model_jobs and not [j for j in jobs if j["rule"] == "gpu_preflight"]
    assert all(_device(j["shell"]) == "cpu" for j in model_jobs)
