"""Sparse to dense: start from the pruned model; pruned weights are free to regrow."""

from __future__ import annotations

from typing import Any

from pipeline.finetune.modes.base import TransferMode, keep_factors


class SparseToDense(TransferMode):
    name = "sparse_to_dense"
    label = "sparse-to-dense transfer"  # how figures name it
    uses_mask = True
    description = "start from the pruned model; pruned weights are free to regrow"

    def prepare(self, params: dict[str, Any], masks: dict[str, Any] | None) -> None:
        import torch

        with torch.no_grad():
            for param, keep in keep_factors(params, masks):
                param.mul_(keep)
