"""SparseGPT (Frantar & Alistarh, 2023): second-order pruning with weight reconstruction.

For a linear layer with calibration inputs X, pruning aims to keep W X close to the dense
output. With H = X X^T / tokens (damped by 1% of its mean diagonal), columns are processed
left to right in blocks of 128: within a block the mask is chosen by w^2 / [H^-1]_cc^2 (the
whole block at once for unstructured sparsity, each group of M columns when reached for N:M),
and each pruned weight's error is spread over the not-yet-processed columns of its row
through the upper Cholesky factor of H^-1 (the optimal brain surgeon update). The result
changes the kept weights, so the method stores weights as well as a mask.

Departures from the reference code, for this study's bookkeeping: the unstructured mask of a
block prunes exactly round(sparsity * block size) weights (ties as in selection.py), and
weights of inputs that never fire on the calibration data (zero Hessian diagonal) are left
as they are instead of zeroed, so that the mask alone says which weights are zero.
"""

from __future__ import annotations

from typing import Any

import torch

from pipeline.compress.base import Target
from pipeline.compress.selection import nm_masks, smallest_k_masks
from pipeline.compress.sequential import prune_block_by_block

BLOCKSIZE = 128
DAMP = 0.01  # fraction of the mean Hessian diagonal added to it (the reference default)


class Hessian:
    """Running H = X X^T / tokens over a linear layer's calibration inputs, in fp32."""

    def __init__(self, linear: torch.nn.Linear) -> None:
        size = linear.in_features
        self.h = torch.zeros(size, size, dtype=torch.float32, device=linear.weight.device)
        self.tokens = 0

    def add(self, inputs: torch.Tensor) -> None:
        x = inputs.detach().reshape(-1, inputs.shape[-1]).float()
        total = self.tokens + x.shape[0]
        self.h.mul_(self.tokens / total).addmm_(x.T, x, alpha=1.0 / total)
        self.tokens = total


def _inverse_cholesky(hessian: torch.Tensor, name: str) -> torch.Tensor:
    """Upper Cholesky factor of the damped H^-1."""
    h = hessian.clone()
    dead = h.diagonal() == 0
    h[dead, dead] = 1.0
    h.diagonal().add_(DAMP * h.diagonal().mean())
    try:
        lower = torch.linalg.cholesky(h)
        return torch.linalg.cholesky(torch.cholesky_inverse(lower), upper=True)
    except torch.linalg.LinAlgError as err:
        raise ValueError(
            f"sparsegpt: the Hessian of {name} is not positive definite; use "
            "more calibration samples (compression.calibration.samples)"
        ) from err


def sparsegpt_prune(
    weight: Any,
    hessian: torch.Tensor,
    *,
    sparsity: float | None = None,
    nm: tuple[int, int] | None = None,
    name: str = "weight",
) -> torch.Tensor:
    """Prune ``weight`` [out, in] in place with reconstruction; returns its mask (True = kept).

    Exactly one of ``sparsity`` (unstructured, per block of columns) and ``nm`` (N kept of
    every M consecutive inputs) is given.
    """
    if (sparsity is None) == (nm is None):
        raise ValueError("sparsegpt_prune: give exactly one of sparsity and nm")
    w = weight.detach().float().clone()
    cols = w.shape[1]
    if nm is not None and (cols % nm[1] or BLOCKSIZE % nm[1]):
        raise ValueError(
            f"N:M pattern {nm[0]}:{nm[1]}: {name} has {cols} input columns; M must "
            f"divide it and the block size {BLOCKSIZE}"
        )
    u = _inverse_cholesky(hessian, name)
    pruned = torch.zeros_like(w, dtype=torch.bool)
    for start in range(0, cols, BLOCKSIZE):
        end = min(start + BLOCKSIZE, cols)
        block, block_u = w[:, start:end].clone(), u[start:end, start:end]
        diag = block_u.diagonal()
        errors = torch.zeros_like(block)
        block_pruned = torch.zeros_like(block, dtype=torch.bool)
        if sparsity is not None:
            scores = block.pow(2) / diag.pow(2)
            block_pruned = ~smallest_k_masks({name: scores}, round(sparsity * scores.numel()))[name]
        for j in range(end - start):
            if nm is not None and j % nm[1] == 0:
                group = slice(j, j + nm[1])
                scores = block[:, group].pow(2) / diag[group].pow(2)
                block_pruned[:, group] = ~nm_masks(scores, *nm, name=name)
            column = block[:, j]
            kept = column.masked_fill(block_pruned[:, j], 0.0)
            error = (column - kept) / diag[j]
            block[:, j:] -= error[:, None] * block_u[j, j:][None, :]
            block[:, j] = kept  # exact zeros where pruned, whatever the rounding above
            errors[:, j] = error
        w[:, start:end] = block
        w[:, end:] -= errors @ u[start:end, end:]
        pruned[:, start:end] = block_pruned
    with torch.no_grad():
        weight.copy_(w.to(weight.dtype))
    return ~pruned


def sparsegpt_unstructured(target: Target, sparsity: float) -> dict[str, torch.Tensor]:
    def prune(name: str, param: Any, stat: Hessian) -> torch.Tensor:
        return sparsegpt_prune(param, stat.h, sparsity=sparsity, name=name)

    return prune_block_by_block(target, Hessian, prune, "sparsegpt")


def sparsegpt_nm(target: Target, pattern: tuple[int, int]) -> dict[str, torch.Tensor]:
    def prune(name: str, param: Any, stat: Hessian) -> torch.Tensor:
        return sparsegpt_prune(param, stat.h, nm=pattern, name=name)

    return prune_block_by_block(target, Hessian, prune, "sparsegpt N:M")
