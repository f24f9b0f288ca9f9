"""Post-training quantization (PTQ): the dense fine-tuned model, quantized by RTN afterwards.

The referee's quantization arm: fine-tune densely, then quantize the fine-tuned backbone
(per-channel round-to-nearest at the compression's bit width, ``rtn-<b>bit``; the same
quantizer as pipeline/compress/quantize.py) and evaluate. Fine-tuning the dense model again
would repeat the dense run of the cell bit for bit (same protocol, seed and data), so a PTQ
cell starts from that run's fine-tuned model (the workflow passes it as the model folder)
and does not train: its score divided by the dense run's is the cost of quantizing a
fine-tuned model, paired seed by seed. The head stays full precision, as in every
compression here. The model loads in fp32 whatever the protocol's precision (run.py), so the
rounding and the grid check are exact (RTN values rounded again to fp16 leave their grid);
evaluation then runs under autocast in that precision, as the dense run's does.
"""

from __future__ import annotations

from typing import Any

from pipeline.finetune.modes.base import TransferMode


class PostTrainingQuantization(TransferMode):
    name = "ptq"
    label = "post-training quantization"  # how figures name it
    uses_mask = True  # needs a quantization compression (its bits), not its stored weights
    quantizes = True
    applies = "bits"
    from_dense_run = True
    trains = False
    description = "quantize the dense fine-tuned model's backbone (RTN) after fine-tuning"

    def prepare(self, params: dict[str, Any], masks: dict[str, Any] | None) -> None:
        import torch

        from pipeline.compress.quantize import rtn_quantize

        self._params = params
        with torch.no_grad():
            for param in params.values():
                param.copy_(rtn_quantize(param, self.bits).to(param.dtype))

    def verify(self) -> None:
        from pipeline.compress.quantize import off_grid

        for name, param in self._params.items():
            if off := off_grid(param, self.bits):
                raise RuntimeError(f"ptq: {off} weights of {name} are off their RTN grid")
