"""Gaussian-noise perturbation: the control of claim (e) that damages weights without
favouring small or large ones.

Every prunable weight W_rj of row r gets W_rj + e_rj with e_rj ~ N(0, (s * sd_r)^2), sd_r
the standard deviation of row r's weights and s the level's scale (``noise-0.5sd``). Unlike
magnitude pruning (which removes the small weights) and low-bit RTN (which rounds the
smallest to zero, pipeline/compress/quantize.py), the damage is spread over every weight in
proportion to its row's spread, so at equal damage to the easier level it is the reference a
pruning method's ordering of difficulty is compared with. The draw is seeded (a torch
generator on CPU, tensors in name order), so a level and seed give the same weights on any
device: mode ptn draws with each run's seed on the dense fine-tuned model; a stored
compression (``prune``, for zero-shot or fine-tuned arms from the pre-trained model) is one
draw with ``compression.seed``, stored like RTN's weights. The mask keeps everything: noise
prunes nothing.
"""

from __future__ import annotations

from typing import Any

from pipeline.compress.base import Target


def add_row_noise(params: dict[str, Any], scale: float, seed: int) -> dict[str, float]:
    """Add the level's noise to ``params`` in place; returns each tensor's squared Frobenius
    norms before (``<name>``) and of the noise added (``<name>:noise``), from which
    :func:`relative_perturbation` reports the achieved perturbation."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    norms = {}
    with torch.no_grad():
        for name in sorted(params):
            param = params[name]
            w = param.detach().float().clone()  # .float() of fp32 is the parameter itself
            sd = w.std(dim=1, keepdim=True).cpu()
            noise = torch.randn(w.shape, generator=generator) * (scale * sd)
            new = w + noise.to(w.device)
            param.copy_(new.to(param.dtype))
            norms[name] = float(w.square().sum())
            norms[f"{name}:noise"] = float((param.detach().float() - w).square().sum())
    return norms


def relative_perturbation(norms: dict[str, float]) -> dict[str, Any]:
    """||W_noisy - W|| / ||W|| (Frobenius) over all perturbed tensors and per tensor."""
    names = [n for n in norms if not n.endswith(":noise")]
    per = {n: (norms[f"{n}:noise"] / norms[n]) ** 0.5 if norms[n] else 0.0 for n in names}
    total = sum(norms[n] for n in names)
    added = sum(norms[f"{n}:noise"] for n in names)
    return {"relative_perturbation": (added / total) ** 0.5 if total else 0.0, "per_layer": per}


def gaussian_noise(target: Target, scale: float) -> dict[str, Any]:
    """Registry entry ``noise``: perturb ``target.params`` in place, keep every weight."""
    import torch

    add_row_noise(target.params, scale, target.seed)
    return {name: torch.ones_like(p, dtype=torch.bool) for name, p in target.params.items()}
