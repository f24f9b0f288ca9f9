"""Curve points with their bootstrap replicates: what every claim's statistic is computed on.

A point is one compression level of one curve (setting, model, task, difficulty, method,
structure, mode), the mean over its seeds of the normalized score, with the dense run at
the curve's origin (score 1 by definition). ``values[normalization]`` is a points x (1 + B)
array: column 0 the observed mean, columns 1..B its hierarchical bootstrap replicates
(:mod:`pipeline.analysis.resample`). A statistic written as numpy operations on rows of
that array is thereby computed on the data and on every resample at once.

``measured`` (same shape) is the measured hardness of each point's level on the data and on
every replicate, from its dense runs: (reference - dense) / reference where the task has a
reference score (paper Table 1), else 1 - (dense - chance) / (top - chance), top the metric's
maximum (1; 100 for BLEU and chrF; chance 0 without a chance level). Claims that order
levels by measured hardness resample the order with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.analysis.curves import CURVE, KINDS, curves
from pipeline.analysis.difficulty import ACROSS_TASKS
from pipeline.analysis.resample import (
    NORMALIZATIONS,
    NORMALIZED_COLUMN,
    ZERO_SHOT,
    RunReplicates,
    dense_rows,
    seed_mean_replicates,
)
from pipeline.metrics import METRICS

POINT = CURVE + ["budget", "kind", "x"]  # budget: x the protocol's steps (claim c's arm)


@dataclass
class Points:
    """``frame``: one row per point (POINT columns plus hardness, strength, is_dense,
    seeds (tuple), n_seeds, deterministic, noisy); ``values``: see the module docstring.
    ``blocks`` > 1 stacks that many studies of one design side by side (columns of block i:
    ``block(i)``), so simulation checks judge hundreds of studies in one pass."""

    frame: Any
    values: dict[str, np.ndarray]
    blocks: int = 1
    measured: np.ndarray | None = None
    group: int = 1  # consecutive blocks that are one study's pre-training seeds

    def subset(self, mask: Any) -> Points:
        mask = np.asarray(mask, dtype=bool)
        return Points(
            self.frame[mask].reset_index(drop=True),
            {k: v[mask] for k, v in self.values.items()},
            self.blocks,
            None if self.measured is None else self.measured[mask],
            self.group,
        )

    @property
    def studies(self) -> int:
        return self.blocks // self.group

    def study(self, i: int) -> slice:
        """The columns of study i (its pre-training seeds' blocks side by side)."""
        width = next(iter(self.values.values())).shape[1] // self.blocks
        return slice(i * self.group * width, (i + 1) * self.group * width)

    def block(self, i: int) -> slice:
        width = next(iter(self.values.values())).shape[1] // self.blocks
        return slice(i * width, (i + 1) * width)


def stack(points: list[Points], group: int = 1) -> Points:
    """Studies of one design (equal point frames) side by side: one Points of many blocks;
    ``group`` consecutive blocks form one study (its pre-training seeds)."""
    first = points[0]
    for other in points[1:]:
        if not other.frame[POINT].equals(first.frame[POINT]):
            raise ValueError("stacked studies must have the same points (the same design)")
    values = {n: np.hstack([p.values[n] for p in points]) for n in first.values}
    measured = (
        np.hstack([p.measured for p in points])
        if all(p.measured is not None for p in points)
        else None
    )
    return Points(first.frame, values, sum(p.blocks for p in points), measured, group)


def observed_chance(normalized: Any) -> Any:
    """Chance-corrected score (score - chance) / (dense - chance) of every row; NaN where
    the table has no chance level."""
    if "normalized_chance" in normalized.columns:
        return normalized["normalized_chance"].to_numpy(dtype=float)
    return np.full(len(normalized), np.nan)


@dataclass(frozen=True)
class Layout:
    """Which runs make each point: ``frame`` (as in Points, ``noisy`` aside) and
    ``run_rows[p]``, the rows of the normalized table of point p's runs (one per seed)."""

    frame: Any
    run_rows: list[np.ndarray]


def layout(normalized: Any) -> Layout:
    """The points of every pruning, quantization and noise curve of ``normalized`` (whose
    ``_run`` column numbers its rows)."""
    import pandas as pd

    rows = pd.concat([curves(normalized, kind, every_budget=True) for kind in KINDS])
    columns = POINT + [
        "hardness", "strength", "is_dense", "seeds", "n_seeds", "deterministic", "reference",
        "across", "zeroed_fraction",
    ]  # fmt: skip
    if rows.empty:
        return Layout(pd.DataFrame(columns=columns), [])
    rows = rows.sort_values(POINT + ["seed"])
    records, run_rows = [], []
    for key, group in rows.groupby(POINT, sort=False, dropna=False):
        records.append(
            {
                **dict(zip(POINT, key, strict=True)),
                "hardness": float(group["hardness"].iloc[0]),
                "strength": float(group["strength"].iloc[0]),
                "is_dense": bool(group["is_dense"].iloc[0]),
                "seeds": tuple(int(s) for s in group["seed"]),
                "n_seeds": len(group),
                "deterministic": key[CURVE.index("mode")] == ZERO_SHOT,
                "across": bool(group["difficulty_axis"].iloc[0] == ACROSS_TASKS)
                if "difficulty_axis" in group.columns
                else False,
                "reference": float(group["reference_score"].iloc[0])
                if "reference_score" in group.columns and group["reference_score"].notna().any()
                else np.nan,
                # quantized points: mean fraction of weights RTN set to zero (NaN elsewhere)
                "zeroed_fraction": float(group["zeroed_fraction"].mean())
                if "zeroed_fraction" in group.columns and group["zeroed_fraction"].notna().any()
                else np.nan,
            }
        )
        run_rows.append(group["_run"].to_numpy(dtype=int))
    return Layout(pd.DataFrame(records, columns=columns), run_rows)


def build_points(
    normalized: Any,
    rep: RunReplicates,
    seed: int = 0,
    shape: Layout | None = None,
    dense: np.ndarray | None = None,
    draw_seeds: bool = True,
) -> Points:
    """Points with values: observed means and stage-2 replicates. ``normalized`` has a
    ``_run`` column indexing the rows of ``rep``; ``shape`` reuses a layout computed once
    for many studies of one design; ``draw_seeds`` False: one pre-training seed of several
    (its replicates resample items only; :func:`seed_mean_replicates`)."""
    shape = shape or layout(normalized)
    width = rep.ratio.shape[1] + 1
    frame = shape.frame.assign(
        noisy=[bool(rep.has_examples[r].any() or len(r) > 1) for r in shape.run_rows]
    )
    if not shape.run_rows:
        return Points(frame, {n: np.empty((0, width)) for n in NORMALIZATIONS})
    run_index = normalized["_run"].to_numpy(dtype=int)
    observed = {
        "ratio": np.empty(len(rep.ratio)),
        "chance": np.empty(len(rep.ratio)),
    }
    observed["ratio"][run_index] = normalized[NORMALIZED_COLUMN["ratio"]].to_numpy(float)
    observed["chance"][run_index] = observed_chance(normalized)
    values = {
        name: np.column_stack(
            [
                np.array([observed[name][r].mean() for r in shape.run_rows]),
                seed_mean_replicates(shape.run_rows, rep.normalized(name), seed, draw_seeds),
            ]
        )
        for name in NORMALIZATIONS
    }
    measured = _measured(normalized, rep, shape, seed, dense, draw_seeds)
    return Points(frame, values, measured=measured)


def _measured(
    normalized: Any,
    rep: RunReplicates,
    shape: Layout,
    seed: int,
    dense_pos: Any,
    draw_seeds: bool = True,
) -> np.ndarray:
    """Measured hardness of each point's level (module docstring), data and replicates;
    ``dense_pos``: each row's dense row (positions in ``normalized``), if known."""
    dense_of = np.full(len(rep.value), -1)
    runs = normalized["_run"].to_numpy(dtype=int)
    dense_of[runs] = runs[dense_rows(normalized) if dense_pos is None else dense_pos]
    value = np.full(len(rep.value), np.nan)
    value[runs] = normalized["value"].to_numpy(dtype=float)
    chance = np.full(len(rep.value), np.nan)
    if "chance" in normalized.columns:
        chance[runs] = normalized["chance"].to_numpy(dtype=float)
    dense_runs = [dense_of[r] for r in shape.run_rows]
    dense = np.column_stack(
        [
            np.array([value[r].mean() for r in dense_runs]),
            seed_mean_replicates(dense_runs, rep.value, seed, draw_seeds),
        ]
    )
    reference = shape.frame["reference"].to_numpy(dtype=float)[:, None]
    floor = np.array([chance[r[0]] for r in dense_runs])[:, None]
    floor = np.where(np.isfinite(floor), floor, 0.0)
    # The headroom above chance runs to the metric's own maximum (BLEU and chrF: 100).
    metric = normalized["metric"].to_numpy() if "metric" in normalized.columns else None
    top = np.ones_like(floor)
    if metric is not None:
        metric_of = np.full(len(rep.value), None, dtype=object)
        metric_of[runs] = metric
        highs = [METRICS[m].high if m in METRICS else 1.0 for m in metric_of]  # None: no metric
        top[:, 0] = [highs[r[0]] for r in dense_runs]
    with np.errstate(divide="ignore", invalid="ignore"):
        by_reference = (reference - dense) / reference
        by_chance = 1 - (dense - floor) / (top - floor)
    return np.where(np.isfinite(reference), by_reference, by_chance)
