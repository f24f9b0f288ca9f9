"""Round-to-nearest (RTN) quantization: symmetric, per output channel, 2..8 bits.

Each row r of a weight [out, in] gets the scale s_r = max_j |W_rj| / (2^(b-1) - 1) and every
weight becomes s_r * clamp(round(W_rj / s_r), -(2^(b-1) - 1), 2^(b-1) - 1): 2^b - 1 levels
symmetric around an exact zero (at 2 bits: -s, 0, s). The rounding and clamping is torch's
own ``fake_quantize_per_channel_affine`` (round half to even); only the scale, one line, is
computed here. Weights are stored dequantized, so fine-tuning starts from the quantized
values; the mask keeps everything (quantization prunes nothing it must hold at zero).
"""

from __future__ import annotations

from typing import Any

import torch

from pipeline.compress.base import Target


def rtn_quantize(weight: torch.Tensor, bits: int) -> torch.Tensor:
    """The dequantized RTN weight, in fp32."""
    w = weight.detach().float()
    qmax = 2 ** (bits - 1) - 1
    scale = (w.abs().amax(dim=1) / qmax).clamp_min(torch.finfo(torch.float32).tiny)
    zero_point = torch.zeros(w.shape[0], dtype=torch.int32, device=w.device)
    return torch.fake_quantize_per_channel_affine(w, scale, zero_point, 0, -qmax, qmax)


def off_grid(weight: torch.Tensor, bits: int) -> int:
    """How many entries of ``weight`` are not on the RTN grid of their own row (its scale
    from the row's largest magnitude): 0 exactly when ``rtn_quantize`` leaves it unchanged."""
    w = weight.detach().float()
    return int((rtn_quantize(w, bits) != w).sum())


def rtn(target: Target, bits: int) -> dict[str, Any]:
    masks = {}
    with torch.no_grad():
        for name, param in target.params.items():
            param.copy_(rtn_quantize(param, bits).to(param.dtype))
            masks[name] = torch.ones_like(param, dtype=torch.bool)
    return masks


class GridProjection:
    """Keeps quantized weights on their RTN grid during fine-tuning, the quantization
    counterpart of re-zeroing pruned weights: after every optimizer step each weight is
    rounded back onto its row's grid, whose scales are fixed by the quantized pre-trained
    weights (no straight-through estimator: an update smaller than half a step is undone).
    """

    def __init__(self, params: dict[str, torch.Tensor], bits: int) -> None:
        self.qmax = 2 ** (bits - 1) - 1
        self.params = params
        # A row's largest quantized weight is exactly qmax * scale, so the scale is exact.
        self.scales = {
            name: (p.detach().float().abs().amax(dim=1) / self.qmax).clamp_min(
                torch.finfo(torch.float32).tiny
            )
            for name, p in params.items()
        }

    def _projected(self, name: str, param: torch.Tensor) -> torch.Tensor:
        scale = self.scales[name].to(param.device)
        zero_point = torch.zeros(param.shape[0], dtype=torch.int32, device=param.device)
        return torch.fake_quantize_per_channel_affine(
            param.detach().float(), scale, zero_point, 0, -self.qmax, self.qmax
        ).to(param.dtype)

    def __call__(self) -> None:
        with torch.no_grad():
            for name, param in self.params.items():
                param.copy_(self._projected(name, param))

    def off_grid(self) -> int:
        """How many weights are not on their grid (0 after every projection)."""
        return sum(int((self._projected(n, p) != p.detach()).sum()) for n, p in self.params.items())
