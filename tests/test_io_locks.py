"""`make study` after a kill: the locks the killed Snakemake left are removed, never the
locks of a Snakemake that is still running in the directory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pipeline.locks import remove_stale_locks


def _locks(workdir: Path) -> list[Path]:
    folder = workdir / ".snakemake" / "locks"
    folder.mkdir(parents=True)
    locks = [folder / "0.input.lock", folder / "0.output.lock"]
    for lock in locks:
        lock.write_text("results/x\n")
    return locks


def test_locks_of_a_killed_run_are_removed(tmp_path):
    locks = _locks(tmp_path)
    assert remove_stale_locks(tmp_path) == locks
    assert not any(lock.exists() for lock in locks)


def test_locks_of_a_running_snakemake_are_kept(tmp_path):
    locks = _locks(tmp_path)
    fake = tmp_path / "bin" / "snakemake"  # a process that looks like `snakemake ...` here
    fake.parent.mkdir()
    fake.write_text(f"#!{sys.executable}\nimport time\ntime.sleep(60)\n")
    fake.chmod(0o755)
    proc = subprocess.Popen([str(fake), "--cores", "2"], cwd=tmp_path)
    try:
        for _ in range(50):  # until the interpreter shows up with its cwd
            if remove_stale_locks(tmp_path) == [] and all(lock.exists() for lock in locks):
                break
        assert remove_stale_locks(tmp_path) == []
        assert all(lock.exists() for lock in locks)
    finally:
        proc.kill()
        proc.wait()
    assert remove_stale_locks(tmp_path) == locks


def test_only_snakemake_itself_counts_as_running():
    from pipeline.locks import _is_snakemake

    assert _is_snakemake(["/venv/bin/snakemake", "--cores", "2"])
    assert _is_snakemake(["/venv/bin/python3", "/venv/bin/snakemake", "all"])
    assert _is_snakemake(["python", "-m", "snakemake", "-n"])
    assert not _is_snakemake(["make", "-o", "/venv/bin/snakemake", "study"])
    assert not _is_snakemake(["python", "-m", "pipeline", "finetune"])
