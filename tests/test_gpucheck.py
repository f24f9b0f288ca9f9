"""The GPU check (``make gpu-check``, pipeline/cluster/gpucheck.py) cannot pass without a GPU, and
everything in it that is not GPU-specific runs here on the CPU, with the machine's Python
as the GPU machine has it: no snakemake, no datasets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from pipeline.cluster.gpucheck import MODELS

REPO = Path(__file__).resolve().parents[1]
# The GPU machine has neither: importing one would fail there.
WITHOUT = "import sys; sys.modules['snakemake'] = sys.modules['datasets'] = None; "


def _run(*args: str, timeout: int = 1200) -> subprocess.CompletedProcess:
    code = WITHOUT + "from pipeline.cluster.gpucheck import main; sys.exit(main(sys.argv[1:]))"
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-c", code, *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks a machine without CUDA")
def test_make_gpu_check_fails_without_a_gpu_naming_both_cuda_versions(tmp_path):
    env = {**os.environ, "GPU_PY": sys.executable, "ARGS": f"--out {tmp_path}"}
    run = subprocess.run(["make", "-s", "gpu-check"], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode != 0, run.stdout
    assert "gpu-check: FAILED: --device 'cuda'" in run.stderr
    assert "built for CUDA none" in run.stderr and "driver" in run.stderr
    assert not list(tmp_path.iterdir())  # no table of rates from a machine without a GPU


@pytest.mark.workflow
def test_everything_but_the_gpu_runs_on_the_cpu_and_writes_the_throughput_table(tmp_path):
    from pipeline.cluster.plan import Throughput

    run = _run("--device", "cpu", "--small", "--out", str(tmp_path))
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    report = json.loads((tmp_path / "report.json").read_text())
    assert all(c["ok"] for c in report["checks"].values()), report["checks"]
    assert len(report["checks"]) == 4 + 2 + len(MODELS)  # setup, modes, resume, .bin; pruning
    table = yaml.safe_load((tmp_path / "throughput.yaml").read_text())["gpus"]["cpu"]
    assert set(table) == set(MODELS)
    for name, row in table.items():
        speed = Throughput(**row)  # the form slurm/throughput.yaml's reader takes
        assert speed.forward > 0 and speed.load_minutes >= 1, name
        assert (speed.train > 0) == (MODELS[name]["batch"] > 0), name
        assert (speed.generate > 0) == ("new_tokens" in MODELS[name]), name
    assert report["resume"]["resumed_loss"] == report["resume"]["loss"]  # CPU fp32: exact
    for method in ("wanda", "sparsegpt"):
        assert report[method]["estimated_minutes_for_vicuna_7b"] > 0
    sizes = {name: m["parameters"] for name, m in report["models"].items()}
    assert sizes["vicuna_7b"] > sizes["mbart_cc25"] > sizes["roberta-base"]
