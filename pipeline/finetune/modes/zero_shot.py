"""Zero-shot: no fine-tuning at all; the (compressed) pre-trained model is evaluated as is.

The paper's "zero-shot" regimes (setting 2 translation, setting 3 QA with Vicuna) assess
dense and sparse pre-trained models directly. Its dense baseline is the dense model in the
same mode, so normalization divides zero-shot by zero-shot.
"""

from __future__ import annotations

from typing import Any

from pipeline.finetune.modes.base import TransferMode, keep_factors


class ZeroShot(TransferMode):
    name = "zero_shot"
    label = "zero-shot"  # how figures name it
    uses_mask = None  # with a mask (compressed) or without (the dense baseline)
    trains = False
    description = "evaluate the (compressed) pre-trained model without fine-tuning"

    def prepare(self, params: dict[str, Any], masks: dict[str, Any] | None) -> None:
        import torch

        self._pairs = keep_factors(params, masks) if masks is not None else []
        with torch.no_grad():
            for param, keep in self._pairs:
                param.mul_(keep)

    def verify(self) -> None:
        for param, keep in self._pairs:
            if int(((param.detach() != 0) & (keep == 0)).sum()):
                raise RuntimeError("zero-shot: a pruned weight is non-zero")
