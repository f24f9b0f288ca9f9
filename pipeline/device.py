"""Where a verb runs its model: the one ``--device`` option of every model-running verb.

``cuda if available else cpu`` by default (the workflow always passes the study's ``device``
key, so a job never falls back to the host silently); ``cpu``, ``cuda`` or ``cuda:N``
explicitly, refused at once when CUDA is unusable, naming torch's CUDA and the driver's; and
``auto``, which lets accelerate spread a model too big for one GPU over every GPU the job
may see (transformers' ``device_map="auto"``). The model is loaded straight onto its device
(``device_map``), in the dtype it will run in, so a 7B fp16 model never exists as an fp32
copy in host memory. A device the job cannot run a model on (``meta``, a GPU on a machine
without CUDA) is refused before anything loads, with the allowed values.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

CHOICES = "cpu, cuda, cuda:N, auto (spread over the visible GPUs)"
PRECISION_DTYPES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}


@dataclass(frozen=True)
class Placement:
    """A resolved ``--device``: the device batches go to, and how weights are loaded."""

    device: str  # where inputs go: "cpu", "cuda", "cuda:1" (for "auto": the first GPU)
    spread: bool = False  # "auto" on a GPU machine: weights spread over all visible GPUs

    @property
    def device_map(self) -> Any:
        """``from_pretrained(device_map=...)``: load every weight directly where it runs."""
        return "auto" if self.spread else {"": self.device}

    @property
    def is_cuda(self) -> bool:
        return self.device.startswith("cuda")


def default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def resolve(name: str | None) -> Placement:
    """``--device`` -> a :class:`Placement`; a clear error for a device no model runs on."""
    import torch

    if name in (None, "", "default"):
        return Placement(default_device())
    if name == "auto":
        return Placement("cuda:0", spread=True) if torch.cuda.is_available() else Placement("cpu")
    if name == "cpu":
        return Placement("cpu")
    kind, _, index = name.partition(":")
    if kind != "cuda" or (index and not index.isdigit()):
        raise ValueError(f"--device {name!r}: not a device a model runs on here; use {CHOICES}")
    if not torch.cuda.is_available():
        raise ValueError(
            f"--device {name!r}: CUDA is not usable here (torch.cuda.is_available() is False; "
            f"{versions_line()}); the job refuses to run on the CPU instead"
        )
    if index and int(index) >= torch.cuda.device_count():
        raise ValueError(
            f"--device {name!r}: only {torch.cuda.device_count()} GPU(s) are visible "
            "(CUDA_VISIBLE_DEVICES)"
        )
    try:  # available, yet a build without kernels for this GPU fails at the first op
        torch.ones(1, device=name).add_(1).item()
    except RuntimeError as error:  # torch.AcceleratorError is one
        raise ValueError(f"--device {name!r}: CUDA fails ({versions_line()}): {error}") from None
    return Placement(name)


def driver_cuda_version() -> str | None:
    """The CUDA version the installed driver supports ("12.4"), from libcuda itself (no
    GPU or CUDA build of torch needed); None without a driver. Hand-written: torch reports
    only the CUDA it was built with."""
    import ctypes

    try:
        libcuda = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return None
    version = ctypes.c_int(0)
    if libcuda.cuDriverGetVersion(ctypes.byref(version)) != 0:
        return None
    return f"{version.value // 1000}.{version.value % 1000 // 10}"


def driver_version() -> str | None:
    """The NVIDIA driver's own version ("550.54.15"), from nvidia-smi; None without one."""
    import shutil
    import subprocess

    if shutil.which("nvidia-smi") is None:
        return None
    out = subprocess.run(
        ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
        capture_output=True,
        text=True,
    )
    lines = out.stdout.split()
    return lines[0] if out.returncode == 0 and lines else None


def versions_line() -> str:
    """torch's CUDA and the driver's, in words, for every CUDA error message."""
    import torch

    built = torch.version.cuda or "none (a CPU-only build)"
    driver = driver_cuda_version()
    return f"torch {torch.__version__} built for CUDA {built}; driver " + (
        f"{driver_version() or '?'} supports CUDA {driver}" if driver else "not found"
    )


def cuda_report(device: str = "cuda") -> dict[str, Any]:
    """What the preflight prints: torch's CUDA, the driver's, the GPU, its free memory."""
    import torch

    report: dict[str, Any] = {
        "torch": torch.__version__,
        "torch_cuda": torch.version.cuda,
        "driver": driver_version(),
        "driver_cuda": driver_cuda_version(),
        "cuda_available": torch.cuda.is_available(),
        "visible_gpus": torch.cuda.device_count() if torch.cuda.is_available() else 0,
    }
    if report["cuda_available"]:
        free, total = torch.cuda.mem_get_info(device)
        report |= {
            "device_name": torch.cuda.get_device_name(device),
            "capability": ".".join(map(str, torch.cuda.get_device_capability(device))),
            "free_gib": round(free / 2**30, 2),
            "total_gib": round(total / 2**30, 2),
        }
    return report


def preflight_problems(report: dict[str, Any], min_free_gib: float) -> list[str]:
    """Why a GPU job would fail or crawl on this machine, from :func:`cuda_report`."""
    problems = []
    if not report["torch_cuda"]:
        problems.append(f"torch {report['torch']} is a CPU-only build")
    elif not report["driver_cuda"]:
        problems.append("no NVIDIA driver (libcuda) on this machine")
    else:
        built, driver = (int(report[k].split(".")[0]) for k in ("torch_cuda", "driver_cuda"))
        if built > driver:  # minor versions are compatible within a major
            problems.append(
                f"torch is built for CUDA {report['torch_cuda']}, the driver "
                f"{report['driver']} supports CUDA {report['driver_cuda']} only: install a "
                f"torch for CUDA {driver}.x or update the driver"
            )
    if not report["cuda_available"] and not problems:
        problems.append("torch.cuda.is_available() is False (no GPU visible to this job?)")
    if report.get("free_gib", 0) < min_free_gib and report["cuda_available"]:
        problems.append(
            f"{report['free_gib']} GiB free on {report['device_name']}, the study needs "
            f"{min_free_gib} GiB (config key 'device_min_free_gib')"
        )
    return problems


def add_device_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--device",
        default=None,
        help=f"where the model runs: {CHOICES}; default: cuda if available, else cpu",
    )


def load_dtype(precision: str, exact: bool) -> str:
    """The dtype to load weights in: fp32 when the weights must be exact (training: mixed
    precision keeps fp32 master weights, so masks and frozen weights stay exact; a mode that
    quantizes: RTN values rounded to fp16 leave their grid); the protocol's precision when
    the model only runs forward (zero-shot), so a 7B fp16 model loads in fp16."""
    return "float32" if exact else PRECISION_DTYPES[precision]


def autocast(device: str, precision: str) -> Any:
    """Evaluation in the protocol's precision without an accelerator (fp32 weights of a
    quantizing mode, as training cells evaluate under accelerate's autocast)."""
    import contextlib

    import torch

    if precision == "fp32":
        return contextlib.nullcontext()
    dtype = getattr(torch, PRECISION_DTYPES[precision])
    return torch.autocast(device_type=device.partition(":")[0], dtype=dtype)


def model_devices(model: Any) -> set[str]:
    """Every device holding one of ``model``'s parameters or buffers (tests, GPU check)."""
    tensors = [*model.parameters(), *model.buffers()]
    return {str(t.device) for t in tensors}


def input_device(model: Any) -> Any:
    """Where a batch for ``model`` goes: its first parameter's device (the embeddings, also
    when accelerate spread the model over several GPUs: its hooks move activations)."""
    return next(model.parameters()).device


def allow_tf32(enabled: bool) -> None:
    """TF32 matmuls and convolutions on Ampere and newer GPUs (ignored elsewhere)."""
    import torch

    torch.backends.cuda.matmul.allow_tf32 = enabled
    torch.backends.cudnn.allow_tf32 = enabled
