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


def rtn(target: Target, bits: int) -> dict[str, Any]:
    masks = {}
    with torch.no_grad():
        for name, param in target.params.items():
            param.copy_(rtn_quantize(param, bits).to(param.dtype))
            masks[name] = torch.ones_like(param, dtype=torch.bool)
    return masks
