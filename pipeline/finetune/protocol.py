"""The fine-tuning protocol: everything that must be equal across the modes of one cell.

Its hash goes into every result row; ``normalize`` refuses to divide runs whose protocol
hashes differ, so a dense baseline trained differently cannot slip into a figure.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass(frozen=True)
class Protocol:
    lr: float
    epochs: int
    batch_size: int
    max_length: int
    seed: int
    optimizer: str = "adamw"
    weight_decay: float = 0.0
    schedule: str = "linear"
    warmup_ratio: float = 0.06
    precision: str = "fp32"
    eval_batch_size: int = 256

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Protocol:
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"protocol: unknown keys {sorted(unknown)}; allowed: {sorted(known)}")
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def hash(self) -> str:
        blob = json.dumps(self.to_dict(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def protocol_diff(a: dict[str, Any], b: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Fields whose values differ between two protocol dicts."""
    return {k: (a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)}
