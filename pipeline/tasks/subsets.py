"""Data-fraction subsets (setting 1): seeded, random and nested (10% ⊂ 25% ⊂ 100%)."""

from __future__ import annotations

import math

import numpy as np


def fraction_indices(n: int, fraction: float, seed: int, how: str = "random") -> list[int]:
    """Indices of the ``fraction`` subset of ``n`` rows.

    ``random`` takes a prefix of one seeded permutation, so smaller fractions are subsets of
    larger ones; ``first`` takes the first rows (what the paper's code did).
    """
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    k = max(1, math.ceil(fraction * n))
    if how == "first":
        return list(range(k))
    if how != "random":
        raise ValueError(f"subset must be 'random' or 'first', got {how!r}")
    return sorted(np.random.default_rng(seed).permutation(n)[:k].tolist())
