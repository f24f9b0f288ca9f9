"""The fine-tuning protocol: everything that must be equal across the modes of one cell.

Its hash goes into every result row; ``normalize`` refuses to divide runs whose protocol
hashes differ, so a dense baseline trained differently cannot slip into a figure.
Run-time knobs that cannot change a result (checkpoint interval, CPU threads) are not part
of it.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import MISSING, asdict, dataclass, fields
from typing import Any

from pipeline.keys import check_known

# protocol precision -> accelerate's ``mixed_precision``; weights stay fp32 in every case.
PRECISIONS = {"fp32": "no", "bf16": "bf16", "fp16": "fp16"}
OPTIMIZERS = ("adamw",)
# The transformers schedules whose signature is (warm-up steps, total steps) or less.
SCHEDULES = ("linear", "cosine", "constant", "constant_with_warmup", "inverse_sqrt", "polynomial")


def _must_be_in(key: str, value: Any, allowed: Any) -> None:
    if value not in allowed:
        raise ValueError(f"protocol.{key}: {value!r} is not one of {sorted(allowed)}")


@dataclass(frozen=True)
class Protocol:
    """One cell's fine-tuning recipe. Give ``epochs`` or ``steps`` (optimizer updates)."""

    lr: float
    batch_size: int
    max_length: int
    seed: int
    epochs: int | None = None
    steps: int | None = None
    optimizer: str = "adamw"
    weight_decay: float = 0.0
    schedule: str = "linear"
    warmup_ratio: float = 0.06
    max_grad_norm: float = 0.0  # 0 = no clipping
    precision: str = "fp32"
    # TF32 matmuls on Ampere+ GPUs (10-bit mantissa inputs, fp32 accumulation): faster fp32,
    # slightly different numbers, so it is part of the protocol; no effect on CPU.
    tf32: bool = False
    eval_batch_size: int = 256
    label_smoothing: float = 0.0  # of the training cross-entropy (mBART recipe: 0.2)
    dropout: float | None = None  # the model's main dropout rate; None keeps its own

    def __post_init__(self) -> None:
        if (self.epochs is None) == (self.steps is None):
            raise ValueError(
                f"protocol: give exactly one of 'epochs' and 'steps' "
                f"(got epochs={self.epochs!r}, steps={self.steps!r})"
            )
        for key in ("epochs", "steps", "batch_size", "max_length", "eval_batch_size"):
            value = getattr(self, key)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f"protocol.{key}: {value!r} must be a positive integer")
        if not 0.0 <= self.warmup_ratio <= 1.0:
            raise ValueError(f"protocol.warmup_ratio: {self.warmup_ratio!r} must be in [0, 1]")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ValueError(
                f"protocol.label_smoothing: {self.label_smoothing!r} must be in [0, 1)"
            )
        if self.dropout is not None and not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"protocol.dropout: {self.dropout!r} must be in [0, 1) or null")
        _must_be_in("optimizer", self.optimizer, OPTIMIZERS)
        _must_be_in("schedule", self.schedule, SCHEDULES)
        _must_be_in("precision", self.precision, PRECISIONS)
        if not isinstance(self.tf32, bool):
            raise ValueError(f"protocol.tf32: {self.tf32!r} must be true or false")

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Protocol:
        check_known(values, (f.name for f in fields(cls)), "protocol")
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def hash(self) -> str:
        blob = json.dumps(self.to_dict(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    @classmethod
    def with_defaults(cls, values: dict[str, Any]) -> dict[str, Any]:
        """``values`` plus every unset field that has a default. The config schema holds no
        protocol defaults (one schema serves the study's protocol and each setting's
        overrides, and a default there would reset the study's value in every override)."""
        out = dict(values)
        for f in fields(cls):
            if f.default not in (None, MISSING):
                out.setdefault(f.name, f.default)
        return out

    def steps_per_epoch(self, n_examples: int) -> int:
        return math.ceil(n_examples / self.batch_size)

    def total_steps(self, n_examples: int) -> int:
        """Optimizer updates of the whole run on ``n_examples`` training examples."""
        if self.steps is not None:
            return self.steps
        return self.steps_per_epoch(n_examples) * self.epochs

    def warmup_steps(self, n_examples: int) -> int:
        """``ceil(ratio * total)``, as transformers' Trainer counts them (the paper's code)."""
        return math.ceil(self.warmup_ratio * self.total_steps(n_examples))


def protocol_diff(a: dict[str, Any], b: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Fields whose values differ between two protocol dicts."""
    return {k: (a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)}
