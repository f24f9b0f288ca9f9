"""Wanda (Sun et al., 2023): prune by |W_ij| * ||X_j||_2, compared within each output row.

X_j is input feature j of the linear layer over every calibration token, so the score
weighs a weight by how strongly its input fires. Unstructured Wanda prunes
round(sparsity * in_features) weights in every row; N:M Wanda keeps the N best-scored of
every M consecutive inputs. Weights are not changed beyond the zeros (mask-only method).
"""

from __future__ import annotations

from typing import Any

import torch

from pipeline.compress.base import Target
from pipeline.compress.selection import nm_masks, row_masks
from pipeline.compress.sequential import prune_block_by_block


class ColumnNorms:
    """Running sum over calibration tokens of each input feature's square."""

    def __init__(self, linear: torch.nn.Linear) -> None:
        self.sumsq = torch.zeros(
            linear.in_features, dtype=torch.float32, device=linear.weight.device
        )

    def add(self, inputs: torch.Tensor) -> None:
        self.sumsq += inputs.detach().float().reshape(-1, inputs.shape[-1]).pow(2).sum(0)


def wanda_scores(weight: torch.Tensor, sumsq: torch.Tensor) -> torch.Tensor:
    """S_ij = |W_ij| * ||X_j||_2 for a weight [out, in] and per-input sums of squares [in]."""
    return weight.detach().float().abs() * sumsq.sqrt()[None, :]


def _pruned(param: Any, mask: torch.Tensor) -> torch.Tensor:
    param.mul_(mask.to(param.dtype))
    return mask


def wanda_unstructured(target: Target, sparsity: float) -> dict[str, torch.Tensor]:
    def prune(name: str, param: Any, stat: ColumnNorms) -> torch.Tensor:
        scores = wanda_scores(param, stat.sumsq)
        return _pruned(param, row_masks(scores, round(sparsity * param.shape[1])))

    return prune_block_by_block(target, ColumnNorms, prune, "wanda")


def wanda_nm(target: Target, pattern: tuple[int, int]) -> dict[str, torch.Tensor]:
    n, m = pattern

    def prune(name: str, param: Any, stat: ColumnNorms) -> torch.Tensor:
        return _pruned(param, nm_masks(wanda_scores(param, stat.sumsq), n, m, name))

    return prune_block_by_block(target, ColumnNorms, prune, "wanda N:M")
