"""The job's side: hand ``python -m pipeline ARGV`` to the warm worker, wait for its exit
status, and forward the signals this process gets (Ctrl-C, Snakemake's SIGTERM) to the
child. Standard library only, so it costs milliseconds when there is no worker."""

from __future__ import annotations

import contextlib
import os
import signal
import sys

from pipeline.worker import wire

SOCKET_ENV = "JUNKDNA_WORKER_SOCKET"  # set for its jobs by the Snakefile's onstart
SWITCH_ENV = "JUNKDNA_WORKER"  # "0" (or off/no/false): every job in its own process
STDIO = (0, 1, 2)
FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def enabled(environ: dict[str, str] | os._Environ = os.environ) -> bool:
    """Off when the user says so, and inside SLURM jobs: a cluster job is its own process."""
    switch = environ.get(SWITCH_ENV, "1").strip().lower()
    return switch not in ("0", "off", "no", "false") and "SLURM_JOB_ID" not in environ


def request(argv: list[str]) -> dict:
    """Everything the child needs to be this process: what it runs, where, with what."""
    import pipeline

    umask = os.umask(0)
    os.umask(umask)
    return {
        "argv": [sys.argv[0], *argv],
        "cwd": os.getcwd(),
        "env": dict(os.environ),
        "sys_path": sys.path,
        "umask": umask,
        "prefix": sys.prefix,
        "executable": os.path.realpath(sys.executable),
        "package": pipeline.__file__,
    }


def run_in_worker(argv: list[str]) -> int | None:
    """The job's exit status, run by the worker; None when no worker takes the job (the
    caller then runs it in this process: nothing of the job has started)."""
    path = os.environ.get(SOCKET_ENV)
    if not path or not enabled():
        return None
    try:
        for fd in STDIO:
            os.fstat(fd)
        sock = wire.connect(path)
    except OSError:
        return None
    with sock:
        try:
            wire.send(sock, request(argv), STDIO)
            reply = wire.receive(sock)
        except OSError:
            return None
        if reply is None:
            return None
        if "refused" in reply[0]:
            print(f"worker: running in this process ({reply[0]['refused']})", file=sys.stderr)
            return None

        def forward(signum: int, _frame: object) -> None:
            with contextlib.suppress(OSError):  # the worker is gone: the next read says so
                wire.send(sock, {"signal": signum})

        for signum in FORWARDED_SIGNALS:
            signal.signal(signum, forward)
        while True:
            try:
                reply = wire.receive(sock)
            except OSError:
                reply = None
            if reply is None:
                print("worker: gone before the job ended", file=sys.stderr)
                return 1
            if "exit" in reply[0]:
                return _exit_as(int(reply[0]["exit"]))


def _exit_as(code: int) -> int:
    """The child's status as this process's: a child killed by signal N kills this process
    with N too, so the caller sees what it would have seen without the worker."""
    if code >= 0:
        return code
    signal.signal(-code, signal.SIG_DFL)
    os.kill(os.getpid(), -code)
    return 128 - code  # not reached for signals that kill
