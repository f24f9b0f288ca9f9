"""The workflow profile Snakemake applies to every run: rerun-incomplete, and nothing that
could override the SLURM or workstation profile it is merged over."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
DEFAULT = REPO / "profiles" / "default" / "config.yaml"


def test_default_profile_reruns_incomplete_outputs_and_sets_nothing_else():
    profile = yaml.safe_load(DEFAULT.read_text())
    assert profile == {"rerun-incomplete": True}
    for named in ("slurm", "workstation"):  # a key here would override theirs
        theirs = yaml.safe_load((REPO / named / "config.v8+.yaml").read_text())
        assert all(theirs.get(key, value) == value for key, value in profile.items()), named


def test_snakemake_reads_it_from_the_snakefile_folder(tmp_path):
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    run = subprocess.run(
        ["snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(tmp_path),
         "--configfile", str(REPO / "config.yaml"), "--list-rules"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert f"workflow specific profile {DEFAULT.parent}" in run.stdout + run.stderr
