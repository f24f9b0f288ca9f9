"""Safe sparsity: how far a task can be pruned before it falls out of tolerance of dense.

Per run (one pre-training and one fine-tuning seed), the highest tested sparsity up to which
every tested sparsity (dense at 0 included) keeps the normalized score at or above
``analysis.tolerance``; then the mean over seeds with its t interval
(pipeline.analysis.stats), over pre-training seeds where there are several. "Stays within"
is literal: a curve that dips below the tolerance and comes back is safe only up to the dip.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pipeline.analysis.curves import CURVE, curves
from pipeline.analysis.options import Analysis
from pipeline.analysis.stats import seed_interval

# Normalized scores are ratios of floats; equal-to-tolerance must count as within it.
_EPS = 1e-9


def safe_level(x: Any, normalized: Any, tolerance: float) -> float:
    """Highest x such that every point at or below it scores at least ``tolerance``."""
    order = np.argsort(np.asarray(x, dtype=float), kind="stable")
    xs = np.asarray(x, dtype=float)[order]
    within = np.asarray(normalized, dtype=float)[order] >= tolerance - _EPS
    held = np.logical_and.accumulate(within)
    return float(xs[held].max()) if held.any() else 0.0


def _replicates(curve: Any, analysis: Analysis) -> list[float]:
    """The curve's safe level per replicate: each run's own curve (one pre-training and one
    fine-tuning seed); with several pre-training seeds, their means per pre-training seed,
    the top level of the design (fine-tuning seeds nest inside, docs/statistics.md)."""
    keys = ["pretrain_seed", "seed"] if "pretrain_seed" in curve.columns else ["seed"]
    per_run = {
        key: safe_level(g["x"], g["normalized"], analysis.tolerance)
        for key, g in curve.groupby(keys, dropna=False)
    }
    if keys == ["seed"] or curve["pretrain_seed"].nunique() < 2:
        return list(per_run.values())
    by_pretrain: dict[Any, list[float]] = {}
    for (pretrain, _), level in per_run.items():
        by_pretrain.setdefault(pretrain, []).append(level)
    return [float(np.mean(levels)) for levels in by_pretrain.values()]


def safe_sparsity(normalized: Any, analysis: Analysis) -> Any:
    """One row per (setting, model, task, difficulty, method, structure, mode)."""
    import pandas as pd

    frame = curves(normalized, "pruning")
    rows = []
    for key, group in frame.groupby(CURVE):
        interval = seed_interval(_replicates(group, analysis), analysis.confidence)
        top = float(group["x"].max())
        rows.append(
            {
                **dict(zip(CURVE, key, strict=True)),
                "hardness": float(group["hardness"].iloc[0]),
                "tolerance": analysis.tolerance,
                "safe_sparsity": interval.mean,
                # a safe level is one of the tested ones, so its mean lies in [0, max tested]
                "ci_low": max(interval.low, 0.0),
                "ci_high": min(interval.high, top),
                "n_seeds": interval.n,
                "max_tested": top,
            }
        )
    columns = CURVE + [
        "hardness",
        "tolerance",
        "safe_sparsity",
        "ci_low",
        "ci_high",
        "n_seeds",
        "max_tested",
    ]
    return pd.DataFrame(rows, columns=columns)
