"""Zero-shot: no fine-tuning at all; the (compressed) pre-trained model is evaluated as is.

The paper's "zero-shot" regimes (setting 2 translation, setting 3 QA with Vicuna) assess
dense and sparse pre-trained models directly. Its dense baseline is the dense model in the
same mode, so normalization divides zero-shot by zero-shot.

No step follows, so nothing is held for one: each boolean mask (host memory, as loaded) is
applied in place one parameter at a time, its device copy freed before the next (float
keep-masks in the weights' dtype beside a 7B fp16 model would double its GPU memory).
"""

from __future__ import annotations

from typing import Any

from pipeline.finetune.modes.base import TransferMode, check_mask_names


class ZeroShot(TransferMode):
    name = "zero_shot"
    label = "zero-shot"  # how figures name it
    uses_mask = None  # with a mask (compressed) or without (the dense baseline)
    trains = False
    description = "evaluate the (compressed) pre-trained model without fine-tuning"

    def prepare(self, params: dict[str, Any], masks: dict[str, Any] | None) -> None:
        import torch

        self._params, self._masks = params, masks or {}
        if masks is not None:
            check_mask_names(params, masks)
        with torch.no_grad():
            for name, keep in self._masks.items():
                param = self._params[name]
                param.masked_fill_(~keep.to(param.device, torch.bool), 0)

    def verify(self) -> None:
        import torch

        for name, keep in self._masks.items():
            param = self._params[name].detach()
            if bool(param.masked_select(~keep.to(param.device, torch.bool)).any()):
                raise RuntimeError(f"zero-shot: a pruned weight of {name} is non-zero")
