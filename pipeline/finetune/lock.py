"""One instance per run folder: an exclusive ``flock`` on a lock file inside it.

A Snakemake killed with its SLURM jobs still running, then restarted, submits the same cells
again while the orphaned jobs train them; without a lock both write the same run and
checkpoint folders. ``flock`` is released by the kernel when its holder dies (also on
SIGKILL or a node losing its job), so no stale lock outlives a crash; on NFS (v4, Linux) it
is a POSIX lock seen by every node. The file records its holder, for the waiting instance's
message.
"""

from __future__ import annotations

import fcntl
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_FILE = ".lock"


def holder_line() -> str:
    job = os.environ.get("SLURM_JOB_ID")
    where = f"pid {os.getpid()} on {socket.gethostname()}" + (f", SLURM job {job}" if job else "")
    return f"{where}, since {time.strftime('%Y-%m-%d %H:%M:%S')}"


@contextmanager
def exclusive(folder: str | Path, *, wait: bool = True) -> Iterator[bool]:
    """Hold ``folder``'s lock for the block; yields True when held. Another holder makes this
    wait for it (``wait``) or yield False at once."""
    path = Path(folder) / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                yield False
                return
            handle.seek(0)
            print(
                f"{folder} is in use by another instance ({handle.read().strip() or 'unknown'});"
                " waiting for it to finish",
                flush=True,
            )
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(holder_line() + "\n")
        handle.flush()
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
