"""Hierarchical, paired bootstrap of the normalized scores: seeds, then evaluation examples.

Two stages (Davison & Hinkley 1997, §3.8; docs/statistics.md):

1. *Examples, within a cell.* A cell is (setting, model, task, difficulty, seed); all its
   runs (every compression level and transfer mode, and its dense runs) scored the same
   evaluation examples. One count matrix ``W`` (B x n, multinomial draws of the n examples)
   per cell is applied to every run of the cell, so compressed and dense runs, and any two
   levels, are compared on the same resampled examples (paired). Each run's metric is
   recomputed on each resample (:mod:`pipeline.analysis.weighted`), then divided by its dense
   run's on the same resample: B replicates of each run's two normalized scores.
2. *Seeds.* A curve point (one compression level of one curve) is the mean over its seeds.
   Replicate b draws k seeds with replacement and, for each draw, an independent replicate
   of stage 1 for that seed (an index into its B example replicates), and averages them. All
   points with the same seeds share the draws, so seed-level comparisons stay paired too. A
   deterministic cell (zero-shot, run with one seed) skips this stage: its points vary only
   by their examples.

Runs without per-example scores enter as constants (their observed score); then only seeds
vary, and a point with one seed and no examples has no interval.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.analysis.weighted import weighted_metric

RUN_KEYS = ["setting", "model", "task", "difficulty", "compression", "mode", "seed"]
CELL_KEYS = ["setting", "model", "task", "difficulty", "seed"]
NORMALIZATIONS = ("ratio", "chance")
NORMALIZED_COLUMN = {"ratio": "normalized", "chance": "normalized_chance"}
DENSE = "dense"
ZERO_SHOT = "zero_shot"
_CHUNK = 256  # points per gather in stage 2 (bounds memory at paper scale)


def _rng(base: int, key: Any) -> np.random.Generator:
    """A generator fixed by the analysis seed and a key: reruns give the same intervals."""
    return np.random.default_rng([base, zlib.crc32(repr(key).encode())])


@dataclass
class RunReplicates:
    """Stage 1, per run (row ``i`` of the normalized table): raw metric, ratio and
    chance-corrected score on each of B example resamples; ``has_examples[i]`` False where
    the run had no per-example scores (its rows are constant)."""

    value: np.ndarray
    ratio: np.ndarray
    chance: np.ndarray
    has_examples: np.ndarray

    def normalized(self, name: str) -> np.ndarray:
        return {"ratio": self.ratio, "chance": self.chance}[name]


def _dense_row(frame: Any) -> np.ndarray:
    """Per row, the row index of its cell's dense run of the same regime."""
    import pandas as pd

    regime = np.where(frame["mode"] == ZERO_SHOT, ZERO_SHOT, "fine_tuned")
    keyed = frame[CELL_KEYS].assign(regime=regime, row=np.arange(len(frame)))
    is_dense = (frame["compression"] == DENSE).to_numpy() & frame["mode"].isin(
        [DENSE, ZERO_SHOT]
    ).to_numpy()
    dense = keyed[is_dense].drop_duplicates(CELL_KEYS + ["regime"])
    merged = pd.merge(
        keyed, dense, on=CELL_KEYS + ["regime"], how="left", suffixes=("", "_dense")
    )
    if merged["row_dense"].isna().any():
        missing = merged[merged["row_dense"].isna()][CELL_KEYS].drop_duplicates()
        raise ValueError(f"no dense run for cells: {missing.to_dict('records')}")
    return merged["row_dense"].to_numpy(dtype=int)


def run_replicates(normalized: Any, examples: Any | None, resamples: int, seed: int = 0) -> Any:
    """Stage 1 for every row of the normalized table (see the module docstring)."""
    n_runs = len(normalized)
    value = np.repeat(normalized["value"].to_numpy(dtype=float)[:, None], resamples, axis=1)
    has = np.zeros(n_runs, dtype=bool)
    if examples is not None and len(examples):
        rows = normalized.reset_index(drop=True).assign(_row=np.arange(n_runs))
        ex = examples.merge(rows[RUN_KEYS + ["_row"]], on=RUN_KEYS, how="inner")
        for cell, cell_ex in ex.groupby(CELL_KEYS, sort=False):
            runs = {r: g.sort_values("example_id") for r, g in cell_ex.groupby("_row")}
            ids = next(iter(runs.values()))["example_id"].to_numpy()
            for row, g in runs.items():
                if not np.array_equal(g["example_id"].to_numpy(), ids):
                    raise ValueError(
                        f"examples of cell {dict(zip(CELL_KEYS, cell, strict=True))}: run "
                        f"{normalized.iloc[row]['compression']}/{normalized.iloc[row]['mode']} "
                        "scored other examples than the cell's other runs (pairing needs the "
                        "same example_id set)"
                    )
            n = len(ids)
            w = _rng(seed, cell).multinomial(n, np.full(n, 1.0 / n), size=resamples)
            for row, g in runs.items():
                value[row] = weighted_metric(normalized.iloc[row]["metric"], g, w)
                has[row] = True
    dense = _dense_row(normalized)
    chance = (
        normalized["chance"].to_numpy(dtype=float)
        if "chance" in normalized.columns
        else np.full(n_runs, np.nan)
    )[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = value / value[dense]
        corrected = (value - chance) / (value[dense] - chance)
    own = dense == np.arange(n_runs)
    ratio[own], corrected[own] = 1.0, 1.0
    return RunReplicates(value, ratio, corrected, has | has[dense])


def seed_mean_replicates(
    run_rows: list[np.ndarray], rep: np.ndarray, seed: int = 0
) -> np.ndarray:
    """Stage 2: per point (``run_rows[p]``: its runs' rows, one per seed, sorted by seed),
    B replicates of the mean over seeds. Points with the same seed count and seeds share
    the draws (paired); ``rep`` is a stage-1 array (runs x B)."""
    resamples = rep.shape[1]
    out = np.empty((len(run_rows), resamples))
    by_k: dict[int, list[int]] = {}
    for p, rows in enumerate(run_rows):
        by_k.setdefault(len(rows), []).append(p)
    for k, points in by_k.items():
        matrix = np.stack([run_rows[p] for p in points])  # points x k
        if k == 1:
            out[points] = rep[matrix[:, 0]]
            continue
        rng = _rng(seed, ("seeds", k))
        idx = rng.integers(0, k, size=(resamples, k))
        inner = rng.integers(0, resamples, size=(resamples, k))
        for start in range(0, len(points), _CHUNK):
            block = matrix[start : start + _CHUNK]  # c x k
            # rep[block[:, idx], inner]: c x B x k, the drawn seeds' drawn replicates
            drawn = rep[block[:, idx], inner[None, :, :]]
            out[points[start : start + _CHUNK]] = drawn.mean(axis=2)
    return out
