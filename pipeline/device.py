"""Where a verb runs its model: the one ``--device`` option of every model-running verb.

``cuda if available else cpu`` by default; ``cpu``, ``cuda`` or ``cuda:N`` explicitly; and
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
            f"--device {name!r}: CUDA is not available on this machine "
            f"(torch.cuda.is_available() is False); use --device cpu"
        )
    if index and int(index) >= torch.cuda.device_count():
        raise ValueError(
            f"--device {name!r}: only {torch.cuda.device_count()} GPU(s) are visible "
            "(CUDA_VISIBLE_DEVICES)"
        )
    return Placement(name)


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
