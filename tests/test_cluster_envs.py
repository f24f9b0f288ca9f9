"""The conda environment of the rules: the project's pins, named by every rule, lint clean."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[1]
WORKFLOW_MANAGER = {"snakemake", "snakemake-executor-plugin-slurm"}  # runs outside the jobs
PAPER_ONLY: set[str] = set()  # packages only the cluster env would need (none now)


def pins(lines: list[str]) -> dict[str, str]:
    reqs = [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]
    return {r.name.lower(): str(r.specifier) for r in reqs}


def test_env_pins_the_same_versions_as_requirements():
    env = yaml.safe_load((REPO / "envs" / "junkdna.yaml").read_text())
    [pip] = [d["pip"] for d in env["dependencies"] if isinstance(d, dict)]
    required = pins((REPO / "requirements.txt").read_text().splitlines())
    in_env = pins(pip)
    assert {k: v for k, v in required.items() if k not in WORKFLOW_MANAGER} == {
        k: v for k, v in in_env.items() if k not in PAPER_ONLY
    }
    assert "python=3.11" in env["dependencies"]


def test_lint_is_clean_and_every_rule_names_the_env():
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    for extra in ([], ["--configfile", "configs/paper.yaml"]):
        run = subprocess.run(
            ["snakemake", "--lint", *extra],
            cwd=REPO,
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        output = run.stdout + run.stderr
        assert run.returncode == 0 and "Lints for" not in output, output[-3000:]
