"""The workflow profile Snakemake applies to every run: rerun-incomplete, and nothing that
could override the SLURM or workstation profile it is merged over."""

from __future__ import annotations

import os
import re
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


def test_a_job_killed_between_its_outputs_is_redone_without_a_flag(tmp_path):
    """Snakemake is killed while a job has written one output of two; the next plain run
    (which reads profiles/default) redoes the job instead of stopping with
    IncompleteFilesException."""
    import signal
    import time

    (tmp_path / "Snakefile").write_text(
        "rule two:\n"
        "    output: 'a.txt', 'b.txt'\n"
        "    shell: 'echo a > a.txt; sleep 60; echo b > b.txt'\n"
    )
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    command = ["snakemake", "--cores", "1", "--workflow-profile", str(DEFAULT.parent)]
    proc = subprocess.Popen(command, cwd=tmp_path, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        for _ in range(600):
            if (tmp_path / "a.txt").exists():
                break
            time.sleep(0.1)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert (tmp_path / "a.txt").exists() and not (tmp_path / "b.txt").exists()
    for lock in (tmp_path / ".snakemake" / "locks").glob("*"):
        lock.unlink()  # what `make study` does (pipeline/locks.py, tested on its own)
    dry = ["snakemake", "--cores", "1", "-n"]
    plain = subprocess.run([*dry, "--workflow-profile", "none"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=300)  # fmt: skip
    assert "IncompleteFilesException" in plain.stdout + plain.stderr
    rerun = subprocess.run([*dry, *command[3:]], cwd=tmp_path, env=env, capture_output=True,
                           text=True, timeout=300)  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert re.search(r"forced:\s+two", rerun.stdout)  # rerun-incomplete schedules the job
