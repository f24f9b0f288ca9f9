"""Curve points with their bootstrap replicates: what every claim's statistic is computed on.

A point is one compression level of one curve (setting, model, task, difficulty, method,
structure, mode), the mean over its seeds of the normalized score, with the dense run at
the curve's origin (score 1 by definition). ``values[normalization]`` is a points x (1 + B)
array: column 0 the observed mean, columns 1..B its hierarchical bootstrap replicates
(:mod:`pipeline.analysis.resample`). A statistic written as numpy operations on rows of
that array is thereby computed on the data and on every resample at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.analysis.curves import CURVE, curves
from pipeline.analysis.resample import (
    NORMALIZATIONS,
    NORMALIZED_COLUMN,
    ZERO_SHOT,
    RunReplicates,
    seed_mean_replicates,
)

POINT = CURVE + ["kind", "x"]


@dataclass
class Points:
    """``frame``: one row per point (POINT columns plus hardness, strength, is_dense,
    seeds (tuple), n_seeds, deterministic, noisy); ``values``: see the module docstring."""

    frame: Any
    values: dict[str, np.ndarray]

    def subset(self, mask: Any) -> Points:
        mask = np.asarray(mask, dtype=bool)
        return Points(
            self.frame[mask].reset_index(drop=True), {k: v[mask] for k, v in self.values.items()}
        )

    @property
    def resamples(self) -> int:
        return next(iter(self.values.values())).shape[1] - 1


def observed_chance(normalized: Any) -> Any:
    """Chance-corrected score (score - chance) / (dense - chance) of every row; NaN where
    the table has no chance level."""
    if "normalized_chance" in normalized.columns:
        return normalized["normalized_chance"].to_numpy(dtype=float)
    return np.full(len(normalized), np.nan)


def build_points(normalized: Any, rep: RunReplicates, seed: int = 0) -> Points:
    """Points of every pruning and quantization curve of ``normalized`` (whose ``_run``
    column indexes the rows of ``rep``)."""
    import pandas as pd

    frame = normalized.assign(normalized_chance=observed_chance(normalized))
    rows = pd.concat([curves(frame, kind) for kind in ("pruning", "quantization")])
    if rows.empty:
        empty = pd.DataFrame(columns=POINT + ["hardness", "strength", "is_dense", "seeds"])
        return Points(empty, {n: np.empty((0, rep.ratio.shape[1] + 1)) for n in NORMALIZATIONS})
    rows = rows.sort_values(POINT + ["seed"])
    records, run_rows, observed = [], [], {n: [] for n in NORMALIZATIONS}
    for key, group in rows.groupby(POINT, sort=False, dropna=False):
        runs = group["_run"].to_numpy(dtype=int)
        records.append(
            {
                **dict(zip(POINT, key, strict=True)),
                "hardness": float(group["hardness"].iloc[0]),
                "strength": float(group["strength"].iloc[0]),
                "is_dense": bool(group["is_dense"].iloc[0]),
                "seeds": tuple(int(s) for s in group["seed"]),
                "n_seeds": len(runs),
                "deterministic": key[CURVE.index("mode")] == ZERO_SHOT,
                "noisy": bool(rep.has_examples[runs].any() or len(runs) > 1),
            }
        )
        run_rows.append(runs)
        for name in NORMALIZATIONS:
            observed[name].append(float(group[NORMALIZED_COLUMN[name]].mean()))
    values = {
        name: np.column_stack(
            [
                np.asarray(observed[name]),
                seed_mean_replicates(run_rows, rep.normalized(name), seed),
            ]
        )
        for name in NORMALIZATIONS
    }
    return Points(pd.DataFrame(records), values)
