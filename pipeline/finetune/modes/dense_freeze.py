"""Dense with freezing: the weights pruning would remove keep their pre-trained values.

Their gradients are zeroed (so they neither train nor count in gradient clipping), and
after every step they are restored from a stored copy with ``w * keep + frozen`` (two
in-place ops, no allocation): exact for kept weights (``w * 1 + 0``) and for frozen ones
(``w * 0 + w0``), whatever the optimizer or its weight decay did.
"""

from __future__ import annotations

from typing import Any

from pipeline.finetune.modes.base import TransferMode, keep_factors, mask_gradients


class DenseFreeze(TransferMode):
    name = "dense_freeze"
    label = "dense transfer, small weights frozen"  # how figures name it
    uses_mask = True
    description = "dense fine-tuning with the small weights frozen at pre-trained values"

    def prepare(self, params: dict[str, Any], masks: dict[str, Any] | None) -> None:
        self._names = list(params)
        self._pairs = keep_factors(params, masks)
        # Pre-trained values at the frozen positions, zero elsewhere.
        self._frozen = [param.detach() * (1 - keep) for param, keep in self._pairs]

    def after_backward(self) -> None:
        mask_gradients(self._pairs)

    def after_step(self) -> None:
        import torch

        with torch.no_grad():
            for (param, keep), frozen in zip(self._pairs, self._frozen, strict=True):
                param.mul_(keep).add_(frozen)

    def verify(self) -> None:
        import torch

        for name, (param, keep), frozen in zip(self._names, self._pairs, self._frozen, strict=True):
            now = torch.where(keep.bool(), torch.zeros_like(frozen), param.detach())
            if not torch.equal(now, frozen):
                changed = int((now != frozen).sum())
                raise RuntimeError(f"dense_freeze: {changed} frozen weights of {name} changed")
