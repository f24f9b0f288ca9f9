"""Start and stop the warm worker around a local Snakemake run (the Snakefile's onstart,
onsuccess and onerror), and export its socket to the run's jobs.

The socket lives in a private temporary folder (mode 0700; a Unix socket path must stay
under 108 bytes, which a results folder deep in a tree can exceed); the jobs find it through
``JUNKDNA_WORKER_SOCKET``, which Snakemake passes to every job it starts. A job started by
hand, or by another Snakemake, never sees it and runs in its own process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from pipeline.worker import client, wire

_running: list[tuple[subprocess.Popen, str]] = []


def start(
    log: str | os.PathLike,
    *,
    local: bool = True,
    idle_s: float = 300,
    env: dict[str, str] | None = None,
) -> str | None:
    """Start a worker for this process's jobs; its socket path, or None when the worker
    is off (JUNKDNA_WORKER=0, SLURM, a non-local executor). ``env`` is what the jobs' shell
    prefix sets (the offline switches): the worker must run in it or it refuses them."""
    if not local or not client.enabled() or _running:
        return None
    from pipeline.worker.server import WORKER_ONLY_ENV

    folder = tempfile.mkdtemp(prefix="junkdna-worker-")
    path = os.path.join(folder, "socket")
    listener = wire.listen(path)
    Path(log).parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as log_file:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pipeline.worker",
                "--listen-fd",
                str(listener.fileno()),
                "--parent",
                str(os.getpid()),
                "--idle-s",
                str(idle_s),
            ],
            pass_fds=[listener.fileno()],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {}), client.SOCKET_ENV: path, **WORKER_ONLY_ENV},
            start_new_session=True,  # a Ctrl-C reaches the jobs' clients, which forward it
        )
    listener.close()
    os.environ[client.SOCKET_ENV] = path
    _running.append((proc, folder))
    return path


def stop() -> None:
    """Stop the worker this process started (its jobs have ended) and remove its socket."""
    os.environ.pop(client.SOCKET_ENV, None)
    while _running:
        proc, folder = _running.pop()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(folder, ignore_errors=True)
