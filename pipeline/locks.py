"""Remove the Snakemake locks a killed run left, so ``make study`` resumes without a flag.

Snakemake writes its locks in ``.snakemake/locks/`` and removes them when it exits; a
``kill -9`` (or a power loss) leaves them, and the next run refuses to start until the user
adds ``--unlock``. Snakemake records no owner, so here a lock counts as stale when no
Snakemake process is running in this directory on this machine (psutil, a Snakemake
dependency). Only ``make study`` (the local default study) calls this: on a cluster with
several login nodes a run on another node is invisible here, so the SLURM path keeps
Snakemake's own rule (``--unlock`` by hand).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import psutil


def _is_snakemake(cmdline: list[str]) -> bool:
    """`snakemake ...`, `python /path/bin/snakemake ...` or `python -m snakemake ...`
    (not a command that merely names snakemake in an argument, like `make -o .../snakemake`)."""
    program = Path(cmdline[0]).name
    if program == "snakemake":
        return True
    return program.startswith("python") and (
        (len(cmdline) > 1 and Path(cmdline[1]).name == "snakemake")
        or cmdline[1:3] == ["-m", "snakemake"]
    )


def snakemake_running_in(workdir: Path) -> list[int]:
    """Process ids of the Snakemake runs whose working directory is ``workdir``."""
    found = []
    for proc in psutil.process_iter(["pid", "cmdline", "cwd"]):
        info = proc.info
        if info["pid"] == os.getpid() or not info["cmdline"] or not info["cwd"]:
            continue
        if _is_snakemake(info["cmdline"]) and Path(info["cwd"]).resolve() == workdir.resolve():
            found.append(info["pid"])
    return found


def remove_stale_locks(workdir: str | os.PathLike = ".") -> list[Path]:
    """Remove ``workdir``'s Snakemake locks if no Snakemake runs there; returns them."""
    workdir = Path(workdir)
    locks = sorted((workdir / ".snakemake" / "locks").glob("*.lock"))
    if not locks:
        return []
    if running := snakemake_running_in(workdir):
        print(
            f"kept the locks in {locks[0].parent}: Snakemake {running} runs here", file=sys.stderr
        )
        return []
    for lock in locks:
        lock.unlink(missing_ok=True)
    return locks


if __name__ == "__main__":
    for lock in remove_stale_locks():
        print(
            f"removed {lock}: no Snakemake runs here, it was left by a killed run", file=sys.stderr
        )
