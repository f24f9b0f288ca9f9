"""Magnitude pruning: prune the smallest |w|, ranked globally, per layer, per row or per N:M group.

* global (the paper's GLUE code): all prunable weights ranked together; the pruned count
  is exactly round(sparsity * denominator), the rounding of
  ``torch.nn.utils.prune.global_unstructured``.
* layer (the paper's TriviaQA code): each matrix pruned to round(sparsity * numel).
* row: each output row pruned to round(sparsity * in_features).
* N:M: N largest kept in every group of M consecutive input weights of a row.

Ties: among weights of equal magnitude the one earliest in parameter order, then flat
index, is pruned first (see selection.py). ``torch``'s ``topk`` breaks ties in an unspecified
order, so the two agree everywhere except among weights tied at the threshold.
"""

from __future__ import annotations

from typing import Any

import torch

from pipeline.compress.base import Target
from pipeline.compress.levels import parse_sparsity
from pipeline.compress.selection import nm_masks, row_masks, smallest_k_masks


def global_magnitude_masks(
    params: dict[str, Any], sparsity: float | str
) -> dict[str, torch.Tensor]:
    """Masks (True = kept) pruning the globally smallest |w|; ``params`` is left unchanged."""
    sparsity = parse_sparsity(sparsity)
    total = sum(p.numel() for p in params.values())
    return smallest_k_masks(params, round(sparsity * total))


def global_magnitude(target: Target, sparsity: float) -> dict[str, torch.Tensor]:
    return global_magnitude_masks(target.params, sparsity)


def layer_magnitude(target: Target, sparsity: float) -> dict[str, torch.Tensor]:
    masks = {}
    for name, p in target.params.items():
        masks.update(smallest_k_masks({name: p}, round(sparsity * p.numel())))
    return masks


def row_magnitude(target: Target, sparsity: float) -> dict[str, torch.Tensor]:
    return {
        name: row_masks(p.detach().abs(), round(sparsity * p.shape[1]))
        for name, p in target.params.items()
    }


def nm_magnitude(target: Target, pattern: tuple[int, int]) -> dict[str, torch.Tensor]:
    n, m = pattern
    return {name: nm_masks(p.detach().abs(), n, m, name) for name, p in target.params.items()}
