"""Quantization-aware fine-tuning (QAT) with a straight-through estimator (STE).

Latent fp32 weights, initialised from the full-precision pre-trained backbone, are what the
optimizer trains; the forward and backward passes use their RTN quantization (per channel,
the compression's bit width, ``rtn-<b>bit``; the same quantizer as
pipeline/compress/quantize.py, each row's scale from its current largest latent weight). The
STE takes the gradient with respect to the quantized weight as the latent weight's gradient,
so updates far below one grid step accumulate in the latent weights until a weight crosses
to the next grid point -- unlike holding the quantized weights on a fixed grid (mode
``sparse`` on an ``rtn`` compression), where each small update is rounded away.

Around every optimizer step the parameters swap: after the backward pass they take the
latent values (the step, weight decay included, updates those), after the step the latent
copy is updated and the parameters take its quantization again. The final model's backbone
is exactly on its RTN grid; the latent weights travel in checkpoints (``state_dict``).
"""

from __future__ import annotations

from typing import Any

from pipeline.finetune.modes.base import TransferMode


class QuantizationAware(TransferMode):
    name = "qat"
    label = "quantization-aware training"  # how figures name it
    uses_mask = True  # needs a quantization compression (its bits), not its stored weights
    quantizes = True
    applies = "bits"
    description = "quantization-aware fine-tuning (RTN forward, straight-through gradients)"

    def prepare(self, params: dict[str, Any], masks: dict[str, Any] | None) -> None:
        self._params = params
        self._latent = {name: p.detach().clone().float() for name, p in params.items()}
        self._quantize_params()
        self._start = {name: p.detach().clone() for name, p in params.items()}

    def _quantize_params(self) -> None:
        import torch

        from pipeline.compress.quantize import rtn_quantize

        with torch.no_grad():
            for name, param in self._params.items():
                param.copy_(rtn_quantize(self._latent[name], self.bits).to(param.dtype))

    def after_backward(self) -> None:
        import torch

        with torch.no_grad():
            for name, param in self._params.items():
                param.copy_(self._latent[name])

    def after_step(self) -> None:
        import torch

        with torch.no_grad():
            for name, param in self._params.items():
                self._latent[name].copy_(param)
        self._quantize_params()

    def verify(self) -> None:
        from pipeline.compress.quantize import off_grid

        for name, param in self._params.items():
            if off := off_grid(param, self.bits):
                raise RuntimeError(f"qat: {off} weights of {name} are off their RTN grid")

    def summary(self) -> dict[str, Any]:
        """How many backbone weights ended on another grid value than the quantized
        pre-trained weight (a fixed grid would give 0: the point of training through it)."""
        moved = sum(int((p.detach() != self._start[n]).sum()) for n, p in self._params.items())
        total = sum(p.numel() for p in self._params.values())
        return {"quantized_weights_moved": moved, "quantized_weights": total}

    def state_dict(self) -> dict[str, Any]:
        return {"latent": {name: t.cpu() for name, t in self._latent.items()}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for name, tensor in state["latent"].items():
            self._latent[name].copy_(tensor)
        self._quantize_params()
