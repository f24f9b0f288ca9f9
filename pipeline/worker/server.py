"""The worker: imports the heavy libraries once, then forks one child per job.

Fork safety. Forking a process that runs threads is hazardous (a lock held by another
thread stays held in the child; GNU OpenMP's pool hangs). The worker therefore starts its
BLAS with one thread (OpenBLAS spawns its pool at load otherwise), sets torch to one thread
so no OpenMP pool is ever created, runs no torch computation, and checks before every fork
that it is the only thread of its process; if not, it refuses the job (the client then runs
it in its own process). The one exception is Arrow's jemalloc background thread, which
pyarrow starts at import: jemalloc registers fork handlers and restarts it in the child.

Same results as a fresh process. The child takes the client's argv, cwd, environment,
umask and stdio; it sets torch's and the BLAS's thread counts from OMP_NUM_THREADS and
OPENBLAS_NUM_THREADS as a fresh interpreter would read them, resets torch's default
generator to its initial state and reseeds numpy's global generator from the OS (Python's
``random`` reseeds itself after fork), then runs ``pipeline.cli.main``.
tests/test_worker.py checks that a cell's metrics are bit-identical either way. Jobs whose
environment differs from the worker's beyond per-job variables are refused: libraries read
some variables once, at import (HF_HUB_OFFLINE, for one).

Lifetime. A child dies with its client (the worker kills the child's process group when
the client's connection closes) and with the worker (PR_SET_PDEATHSIG). The worker exits
on SIGTERM (lifecycle.stop), when its parent (Snakemake) is gone, or after ``idle_s``
seconds without a job. Hand-written: no library forks pre-imported Python per request and
passes stdio over a socket (multiprocessing's forkserver serves only its own pool).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import gc
import importlib
import io
import os
import selectors
import signal
import socket
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Any

from pipeline.worker import wire

# Imported once by the worker: what the verbs' own imports spend their start-up on
# (python -X importtime; bench/README.md). Project modules are not preloaded, so every
# job runs the code as it is on disk when the job starts.
PRELOAD = (
    "numpy",
    "torch",
    "torch.nn.functional",
    "torch.optim",
    "torch.utils.data",
    "safetensors.torch",
    "tokenizers",
    "transformers",
    "transformers.modeling_utils",
    "transformers.models.auto.modeling_auto",
    "transformers.models.roberta.modeling_roberta",
    "transformers.models.mbart.modeling_mbart",
    "transformers.models.llama.modeling_llama",
    "transformers.optimization",
    "transformers.generation",
    "accelerate",
    "sklearn.metrics",
    "scipy.stats",
    "sacrebleu",
    "pyarrow",
    "pyarrow.parquet",
    "pandas",
    "tqdm",
)
# Set per job by Snakemake (threads, tmpdir resource; applied by the child itself) and by
# the job's shell (its own bookkeeping).
PER_JOB_ENV = frozenset(
    {
        "PWD",
        "OLDPWD",
        "SHLVL",
        "_",
        "OMP_NUM_THREADS",
        "GOTO_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "VECLIB_MAXIMUM_THREADS",
        "NUMEXPR_NUM_THREADS",
        "TMPDIR",
        "TMP",
        "TEMP",
        "TEMPDIR",
    }
)
# Started with the worker's own environment so that loading them spawns no threads.
WORKER_ONLY_ENV = {"OPENBLAS_NUM_THREADS": "1", "GOTO_NUM_THREADS": "1"}
FORK_SAFE_THREADS = frozenset({"jemalloc_bg_thd"})
PR_SET_PDEATHSIG = 1


@dataclass
class Job:
    pid: int
    conn: socket.socket
    pidfd: int
    verb: str
    started: float
    client_gone: bool = False


def preload() -> int:
    """Import PRELOAD; return the torch thread count a fresh process would use."""
    for name in PRELOAD:
        with contextlib.suppress(ImportError):  # an extra not installed: jobs import theirs
            importlib.import_module(name)
    # transformers builds its checkpoint conversion table (~1,000 regular expressions, about
    # half a tiny job's CPU) at a process's first from_pretrained: once here, for every child.
    with contextlib.suppress(ImportError, AttributeError):
        from transformers.conversion_mapping import get_checkpoint_conversion_mapping

        get_checkpoint_conversion_mapping("llama")
    import torch

    default_threads = torch.get_num_threads()
    torch.set_num_threads(1)  # no OpenMP pool in the worker, so forking stays safe
    gc.collect()
    gc.freeze()  # imported objects stay untouched: children share their pages
    return default_threads


def other_threads() -> list[str]:
    """Names of this process's threads other than the calling one (Linux /proc)."""
    me = str(threading.get_native_id())
    names = []
    for tid in os.listdir("/proc/self/task"):
        if tid != me:
            with open(f"/proc/self/task/{tid}/comm") as f:
                names.append(f.read().strip())
    return names


class Worker:
    def __init__(self, listener: socket.socket, parent: int, idle_s: float) -> None:
        self.listener = listener
        self.parent = parent
        self.idle_s = idle_s
        self.env = {k: v for k, v in os.environ.items() if k not in PER_JOB_ENV}
        self.jobs: dict[int, Job] = {}
        self.selector = selectors.DefaultSelector()
        self.default_threads = 1
        self.last_activity = time.monotonic()
        self.pid = os.getpid()

    # --- the worker's loop -------------------------------------------------------------
    def serve(self) -> None:
        """Preload, then serve jobs until stopped, orphaned or idle."""
        signal.signal(signal.SIGTERM, self._stop)
        began = time.monotonic()
        self.default_threads = preload()
        log(
            f"ready (pid {os.getpid()}, {len(sys.modules)} modules imported in"
            f" {time.monotonic() - began:.2f} s, cpu {time.process_time():.2f} s)"
        )
        self.selector.register(self.listener, selectors.EVENT_READ, self._accept)
        try:
            while True:
                for key, _ in self.selector.select(timeout=1.0):
                    key.data(key.fileobj)
                if os.getppid() != self.parent:
                    log("parent gone; stopping")
                    return
                if not self.jobs and time.monotonic() - self.last_activity > self.idle_s:
                    log(f"idle for {self.idle_s:.0f} s; stopping")
                    return
        except SystemExit:
            log("stopped")
        finally:
            self._kill_all()

    def _stop(self, _signum: int, _frame: object) -> None:
        raise SystemExit(0)

    def _kill_all(self) -> None:
        for job in self.jobs.values():
            _killpg(job.pid, signal.SIGKILL)
            os.waitpid(job.pid, 0)
        self.jobs.clear()

    def _accept(self, listener: socket.socket) -> None:
        conn, _ = listener.accept()
        conn.settimeout(10)  # a client sends its request at once; never block the loop
        try:
            message = wire.receive(conn)
        except (OSError, ValueError):
            message = None
        if message is None:
            conn.close()
            return
        request, fds = message
        refusal = self.refusal(request, fds)
        if refusal:
            log(f"refused {request.get('argv', [])[1:2]}: {refusal}")
            for fd in fds:
                os.close(fd)
            _send_quietly(conn, {"refused": refusal})
            conn.close()
            return
        self.last_activity = time.monotonic()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            self._child(request, fds, conn)  # never returns
        with contextlib.suppress(OSError):  # also in the child: whichever runs first
            os.setpgid(pid, pid)
        for fd in fds:
            os.close(fd)
        job = Job(pid, conn, os.pidfd_open(pid), " ".join(request["argv"][1:2]), time.monotonic())
        self.jobs[pid] = job
        conn.settimeout(None)
        self.selector.register(conn, selectors.EVENT_READ, lambda _c, j=job: self._from(j))
        self.selector.register(job.pidfd, selectors.EVENT_READ, lambda _f, j=job: self._end(j))
        _send_quietly(conn, {"started": pid})
        log(f"job {pid} {job.verb}: started")

    def refusal(self, request: dict[str, Any], fds: list[int]) -> str | None:
        """Why this worker cannot run the job exactly as the client would; None if it can."""
        import pipeline

        if len(fds) != 3:
            return "stdin/stdout/stderr not passed"
        if request.get("prefix") != sys.prefix or request.get("executable") != os.path.realpath(
            sys.executable
        ):
            return f"another Python ({request.get('executable')}, prefix {request.get('prefix')})"
        if request.get("package") != pipeline.__file__:
            return f"another checkout of pipeline ({request.get('package')})"
        env = {k: v for k, v in request.get("env", {}).items() if k not in PER_JOB_ENV}
        differing = sorted(k for k in env.keys() | self.env.keys() if env.get(k) != self.env.get(k))
        if differing:
            return f"environment differs from the worker's in {', '.join(differing)}"
        threads = [t for t in other_threads() if t not in FORK_SAFE_THREADS]
        if threads:
            return f"the worker runs other threads ({', '.join(threads)}): forking is unsafe"
        return None

    def _from(self, job: Job) -> None:
        """A message from a job's client: a signal to forward, or its end (connection closed)."""
        try:
            message = wire.receive(job.conn)
        except OSError:
            message = None
        if message is None:
            # The client is gone (killed): its job must not train on without it.
            job.client_gone = True
            self.selector.unregister(job.conn)
            _killpg(job.pid, signal.SIGKILL)
        elif "signal" in message[0]:
            _killpg(job.pid, int(message[0]["signal"]))

    def _end(self, job: Job) -> None:
        _, status, usage = os.wait4(job.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - job.started
        cpu = usage.ru_utime + usage.ru_stime
        gone = " (client gone)" if job.client_gone else ""
        log(f"job {job.pid} {job.verb}: exit {code} after {seconds:.2f} s, cpu {cpu:.2f} s{gone}")
        self.selector.unregister(job.pidfd)
        os.close(job.pidfd)
        if not job.client_gone:
            self.selector.unregister(job.conn)
            _send_quietly(job.conn, {"exit": code})  # negative: killed by that signal
        job.conn.close()
        del self.jobs[job.pid]
        self.last_activity = time.monotonic()

    # --- the child ---------------------------------------------------------------------
    def _child(self, request: dict[str, Any], fds: list[int], conn: socket.socket) -> None:
        code = 1
        try:
            self._become_client(request, fds, conn)
            code = run_main(request["argv"])
        except BaseException:  # noqa: BLE001 - a child must never return into the worker
            traceback.print_exc()
        finally:
            try:
                atexit._run_exitfuncs()
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)

    def _become_client(self, request: dict[str, Any], fds: list[int], conn: socket.socket) -> None:
        """Turn the forked child into the process the client would have been."""
        os.setpgid(0, 0)  # its own group, so killing the job kills what it started
        _die_with_parent(self.pid)
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        self.selector.close()
        self.listener.close()
        conn.close()
        for job in self.jobs.values():
            job.conn.close()
            os.close(job.pidfd)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        _reopen_stdio()
        os.chdir(request["cwd"])
        os.umask(request["umask"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = list(request["argv"])
        sys.path[:] = request["sys_path"]
        tempfile.tempdir = None  # tempfile caches TMPDIR on first use
        self._reset_libraries(request["env"])

    def _reset_libraries(self, env: dict[str, str]) -> None:
        import numpy as np
        import torch

        torch.set_num_threads(int(env.get("OMP_NUM_THREADS") or self.default_threads))
        blas = int(env.get("OPENBLAS_NUM_THREADS") or len(os.sched_getaffinity(0)))
        if blas != int(WORKER_ONLY_ENV["OPENBLAS_NUM_THREADS"]):
            from threadpoolctl import threadpool_limits

            threadpool_limits(limits=blas, user_api="blas")
        torch.manual_seed(torch.initial_seed())  # the default generator as a fresh process has it
        np.random.seed()  # a fresh process seeds numpy's global generator from the OS


def run_main(argv: list[str]) -> int:
    """``python -m pipeline argv[1:]`` as the interpreter would end it: its exit status."""
    from pipeline.cli import main

    try:
        return _exit_code(main(argv[1:]))
    except SystemExit as exit_:
        return _exit_code(exit_.code)
    except KeyboardInterrupt:
        traceback.print_exc()
        return 128 + signal.SIGINT


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _reopen_stdio() -> None:
    """New sys.std* on descriptors 0-2, buffered as the interpreter buffers them."""
    encoding = sys.stdout.encoding if sys.stdout else "utf-8"
    sys.stdin = sys.__stdin__ = open(0, encoding=encoding, closefd=False)  # noqa: SIM115
    sys.stdout = sys.__stdout__ = io.TextIOWrapper(
        open(1, "wb", closefd=False),  # noqa: SIM115
        encoding=encoding,
        line_buffering=os.isatty(1),
    )
    sys.stderr = sys.__stderr__ = io.TextIOWrapper(
        open(2, "wb", closefd=False),  # noqa: SIM115
        encoding=encoding,
        errors="backslashreplace",
        line_buffering=True,
    )


def _die_with_parent(worker: int) -> None:
    """SIGKILL this child when the worker dies (Linux prctl), also if it already has."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != worker:
        os._exit(1)


def _killpg(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def _send_quietly(conn: socket.socket, message: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):  # the client is gone; its job dies on the next read
        wire.send(conn, message)


def log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} worker: {message}", file=sys.stderr, flush=True)
