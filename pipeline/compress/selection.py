"""Exact-count selection of the lowest scores: over many tensors, per row, per N:M group.

One tie rule everywhere: among equal scores, the one earliest in order (tensor order, then
flat index) is pruned first, so the pruned count is always exactly the one asked for.

``smallest_k_masks`` is hand-written because no library selects the k smallest entries
across many tensors without concatenating them: ``torch.nn.utils.prune.global_unstructured``
concatenates every score in one vector and runs ``topk`` on it (several full-size copies).
Here the k-th smallest score is found by a two-pass radix select on the bit patterns of
the fp32 scores (non-negative IEEE floats order like their bit patterns), one tensor at a
time, so the extra memory is two 2^16-bin histograms plus one layer's temporaries.
"""

from __future__ import annotations

import torch

_BINS = 1 << 16


def _score_bits(scores: torch.Tensor) -> torch.Tensor:
    """int32 view of non-negative fp32 scores; its order is the order of the scores."""
    return scores.detach().float().abs().view(torch.int32).flatten()


def _radix_select(tensors: list[torch.Tensor], k: int) -> tuple[int, int]:
    """(bit pattern of the k-th smallest |score|, how many scores lie strictly below it)."""
    device = tensors[0].device
    high = torch.zeros(_BINS, dtype=torch.int64, device=device)
    for t in tensors:
        high += torch.bincount(_score_bits(t) >> 16, minlength=_BINS)
    cum_high = high.cumsum(0)
    top = int(torch.searchsorted(cum_high, k))
    below = int(cum_high[top - 1]) if top else 0
    low = torch.zeros(_BINS, dtype=torch.int64, device=device)
    for t in tensors:
        bits = _score_bits(t)
        low += torch.bincount(bits[(bits >> 16) == top] & 0xFFFF, minlength=_BINS)
    cum_low = low.cumsum(0)
    bottom = int(torch.searchsorted(cum_low, k - below))
    below += int(cum_low[bottom - 1]) if bottom else 0
    return (top << 16) | bottom, below


def smallest_k_masks(scores: dict[str, torch.Tensor], k: int) -> dict[str, torch.Tensor]:
    """Masks (True = kept) pruning exactly the ``k`` smallest |scores| over all tensors."""
    total = sum(t.numel() for t in scores.values())
    if not 0 <= k <= total:
        raise ValueError(f"cannot prune {k} of {total} weights")
    if k == 0:
        return {name: torch.ones_like(t, dtype=torch.bool) for name, t in scores.items()}
    threshold, below = _radix_select(list(scores.values()), k)
    ties_to_prune = k - below
    masks = {}
    for name, t in scores.items():
        bits = _score_bits(t)
        if ties_to_prune == 0:
            masks[name] = (bits >= threshold).view(t.shape)
            continue
        keep = bits > threshold
        ties = (bits == threshold).nonzero().flatten()
        keep[ties[ties_to_prune:]] = True  # ties beyond the quota stay kept
        ties_to_prune -= min(len(ties), ties_to_prune)
        masks[name] = keep.view(t.shape)
    return masks


def row_masks(scores: torch.Tensor, per_row: int) -> torch.Tensor:
    """Mask (True = kept) pruning the ``per_row`` lowest scores of every row of a matrix."""
    order = torch.argsort(scores.detach(), dim=1, stable=True)
    keep = torch.ones_like(scores, dtype=torch.bool)
    return keep.scatter_(1, order[:, :per_row], False)


def nm_masks(scores: torch.Tensor, n: int, m: int, name: str = "weight") -> torch.Tensor:
    """Mask (True = kept) keeping the ``n`` highest scores in every group of ``m``
    consecutive input weights (dim 1 of an ``nn.Linear`` weight [out, in])."""
    rows, cols = scores.shape
    if cols % m:
        raise ValueError(
            f"N:M pattern {n}:{m}: {name} has {cols} input columns, not a multiple of M={m}"
        )
    groups = scores.detach().reshape(rows, cols // m, m)
    order = torch.argsort(groups, dim=2, stable=True)
    keep = torch.ones_like(groups, dtype=torch.bool)
    return keep.scatter_(2, order[:, :, : m - n], False).reshape(rows, cols)
