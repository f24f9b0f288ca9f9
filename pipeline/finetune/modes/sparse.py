"""Sparse: the mask is fixed and pruned weights are exactly zero after every step.

Gradients of pruned weights are zeroed before each step, so Adam's moments for them stay
zero and neither its update nor decoupled weight decay can move them; the weights are
re-zeroed after every step as well, the last one included (the paper's code skipped that
after its final step).
"""

from __future__ import annotations

from typing import Any

from pipeline.finetune.modes.base import TransferMode, keep_factors, mask_gradients


class Sparse(TransferMode):
    """With a ``projection`` (quantized compressions, see
    :class:`pipeline.compress.quantize.GridProjection`) the weights are also put back on
    their quantization grid after every step: the compression holds through the last step."""

    name = "sparse"
    label = "sparse transfer"  # how figures name it
    uses_mask = True
    description = "fine-tune the compressed model with its compression held fixed"
    projection: Any = None

    def prepare(self, params: dict[str, Any], masks: dict[str, Any] | None) -> None:
        self._names = list(params)
        self._pairs = keep_factors(params, masks)
        self.after_step()

    def after_backward(self) -> None:
        mask_gradients(self._pairs)

    def after_step(self) -> None:
        import torch

        with torch.no_grad():
            for param, keep in self._pairs:
                param.mul_(keep)
        if self.projection is not None:
            self.projection()

    def verify(self) -> None:
        if self.projection is not None and (off := self.projection.off_grid()):
            raise RuntimeError(f"sparse mode: {off} quantized weights left their grid")
        for name, (param, keep) in zip(self._names, self._pairs, strict=True):
            drifted = int(((param.detach() != 0) & (keep == 0)).sum())
            if drifted:
                raise RuntimeError(f"sparse mode: {drifted} pruned weights of {name} are non-zero")
