"""Global magnitude pruning: rank all prunable weights together, prune the smallest.

Ties at the threshold are broken deterministically: among weights whose magnitude equals
the k-th smallest, those earliest in parameter order (then flat index) are pruned, so the
pruned count is exactly round(sparsity * denominator).
"""

from __future__ import annotations

from typing import Any

from pipeline.compress.base import CompressionMethod


def parse_sparsity(level: str) -> float:
    value = float(level)
    if not 0.0 <= value < 1.0:
        raise ValueError(f"sparsity must be in [0, 1), got {level!r}")
    return value


def global_magnitude_masks(params: dict[str, Any], level: str, seed: int = 0) -> dict:
    import torch

    sparsity = parse_sparsity(level)
    total = sum(p.numel() for p in params.values())
    k = round(sparsity * total)
    if k == 0:
        return {name: torch.ones_like(p, dtype=torch.bool) for name, p in params.items()}
    scores = torch.cat([p.detach().abs().flatten().float() for p in params.values()])
    threshold = scores.kthvalue(k).values
    ties_to_prune = k - int((scores < threshold).sum())
    del scores
    masks = {}
    for name, p in params.items():
        magnitude = p.detach().abs().float()
        keep = magnitude > threshold
        if ties_to_prune > 0:
            ties = (magnitude == threshold).flatten().nonzero().flatten()
            release = ties[ties_to_prune:]  # ties beyond the quota stay kept
            keep.view(-1)[release] = True
            ties_to_prune -= min(len(ties), ties_to_prune)
        else:
            keep |= magnitude == threshold
        masks[name] = keep
    return masks


MAGNITUDE = CompressionMethod(
    name="magnitude",
    parse_level=parse_sparsity,
    compute_masks=global_magnitude_masks,
    description="global unstructured magnitude pruning over all prunable weights",
)
