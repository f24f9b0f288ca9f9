"""Bit-packed mask storage: one bit per prunable weight (a mask is 1/32 of fp32 weights)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeline import load
from pipeline.io import atomic_path


def save_masks(path: str | Path, masks: dict) -> None:
    """Save ``{name: bool tensor (True = kept)}`` as packed bits plus shapes, atomically."""
    arrays = {}
    for i, mask in enumerate(masks.values()):
        flat = mask.detach().cpu().numpy().astype(bool).ravel()
        arrays[f"bits_{i}"] = np.packbits(flat)
        arrays[f"shape_{i}"] = np.asarray(mask.shape, dtype=np.int64)
    arrays["names"] = np.asarray(list(masks), dtype=str)
    with atomic_path(path) as tmp, tmp.open("wb") as fh:
        np.savez(fh, **arrays)


def load_masks(path: str | Path) -> dict:
    """Inverse of :func:`save_masks`: ``{name: torch.bool tensor}``."""
    import torch

    data = load.npz(path)  # a truncated or corrupt file is named, not a BadZipFile
    masks = {}
    for i, name in enumerate(data["names"].tolist()):
        shape = tuple(int(s) for s in data[f"shape_{i}"])
        count = int(np.prod(shape))
        bits = np.unpackbits(data[f"bits_{i}"], count=count).astype(bool)
        masks[name] = torch.from_numpy(bits.reshape(shape))
    return masks
