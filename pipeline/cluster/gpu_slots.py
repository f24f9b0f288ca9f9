"""One GPU per job on a machine with several GPUs and no batch system (workstation profile).

Snakemake counts GPUs as a resource but does not say which device a job may use (snakemake
issue #281), so every job would open cuda:0. Before a verb starts, a GPU verb takes the first
free device by an exclusive lock on a per-device file (released by the OS when the process
ends, even on a crash) and sees only that device; other verbs see none, so nothing lands on a
GPU uncounted. Under SLURM (SLURM_JOB_ID set) the batch system already binds GPUs: no-op.
Hand-written: no library assigns devices across independent processes.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

# Verbs that put a model on a GPU when one is visible. Rules that run them get `gpu: 1` (or
# more) in workstation/config.v8+.yaml; tests/test_cluster.py
# (test_workstation_gives_gpus_to_exactly_the_rules_whose_verbs_lock_one) keeps both in step.
GPU_VERBS = frozenset({"finetune", "lmc", "prune", "evaluate", "gpu-preflight", "continue-train"})
LOCK_DIR_ENV = "JUNKDNA_GPU_LOCK_DIR"
_held: list[IO[str]] = []  # open lock files: the claim lasts as long as the process


def visible_gpus() -> list[str]:
    """Device ids this process may use: CUDA_VISIBLE_DEVICES if set, else nvidia-smi's."""
    if "CUDA_VISIBLE_DEVICES" in os.environ:
        return [d for d in os.environ["CUDA_VISIBLE_DEVICES"].split(",") if d.strip()]
    if shutil.which("nvidia-smi") is None:
        return []
    out = subprocess.run(
        ["nvidia-smi", "--query-gpu=index", "--format=csv,noheader"], capture_output=True, text=True
    )
    return out.stdout.split() if out.returncode == 0 else []


def _lock_dir() -> Path:
    default = Path(tempfile.gettempdir()) / f"junkdna-gpus-{os.getuid()}"
    path = Path(os.environ.get(LOCK_DIR_ENV, default))
    path.mkdir(parents=True, exist_ok=True)
    return path


def claim(verb: str, device: str | None = None, poll_s: float = 5.0) -> str | None:
    """Restrict this process to one free GPU (GPU verbs) or to none; return the device.
    A GPU verb told ``--device cpu`` (a magnitude, random or RTN prune: the profiles give
    it no GPU) is treated as any other verb: it sees none."""
    if "SLURM_JOB_ID" in os.environ or _held:
        return None
    devices = visible_gpus()
    if not devices:
        return None
    if verb not in GPU_VERBS or device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
        return None
    waited = False
    while True:
        for device in devices:
            handle = open(_lock_dir() / f"gpu-{device.replace('/', '_')}.lock", "w")  # noqa: SIM115
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            _held.append(handle)
            os.environ["CUDA_VISIBLE_DEVICES"] = device
            return device
        if not waited:
            print(f"{verb}: all {len(devices)} GPUs busy, waiting for one", file=sys.stderr)
            waited = True
        time.sleep(poll_s)
