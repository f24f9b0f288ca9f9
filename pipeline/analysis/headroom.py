"""The headroom gate: a difficulty level enters the claims only if its dense score is
clearly above chance.

A level is (setting, model, task, difficulty, regime), the regime being fine-tuned or
zero-shot. It has headroom when the dense score (mean over seeds) is at least chance plus
``analysis.headroom_se`` standard errors of one evaluation: the standard deviation of the
dense run's metric over the example resamples (mean over seeds). Without per-example scores
the binomial standard error of an accuracy-like metric is used, and where neither exists
only "above chance" is checked (said in the row). Without a chance level nothing can be
checked; the level is kept and marked unverified.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pipeline.analysis.resample import (
    CELL_KEYS,
    DENSE,
    ZERO_SHOT,
    RunReplicates,
    at_base_budget,
)

LEVEL = ["setting", "model", "task", "difficulty", "regime"]
PROPORTIONS = ("accuracy", "exact_match")  # metrics that are a fraction of n_eval examples


def regime(frame: Any) -> Any:
    return np.where(frame["mode"] == ZERO_SHOT, ZERO_SHOT, "fine_tuned")


def _standard_error(row: Any, replicates: np.ndarray, has_examples: bool) -> tuple[float, str]:
    if has_examples:
        return float(np.std(replicates, ddof=1)), "bootstrap"
    n = row.get("n_eval")
    if row["metric"] in PROPORTIONS and n is not None and np.isfinite(n) and n > 0:
        p = float(row["value"])
        return float(np.sqrt(max(p * (1 - p), 0.0) / n)), "binomial"
    return 0.0, "unknown"


def headroom(normalized: Any, rep: RunReplicates, n_se: float) -> Any:
    """One row per level: dense, chance, se, threshold, has_headroom, how (how the SE was
    obtained, or why the gate could not be checked)."""
    import pandas as pd

    frame = normalized.reset_index(drop=True)
    is_dense = (frame["compression"] == DENSE) & frame["mode"].isin([DENSE, ZERO_SHOT])
    is_dense &= at_base_budget(frame)  # the gate is the protocol's own; larger budgets share it
    rows = []
    for i in np.flatnonzero(is_dense.to_numpy()):
        row = frame.iloc[i]
        se, how = _standard_error(row, rep.value[i], bool(rep.has_examples[i]))
        rows.append(
            {
                **{k: row[k] for k in CELL_KEYS},
                "regime": regime(frame.iloc[[i]])[0],
                "dense": float(row["value"]),
                "chance": float(row["chance"]) if "chance" in frame.columns else np.nan,
                "se": se,
                "how": how,
            }
        )
    columns = LEVEL + ["dense", "chance", "se", "threshold", "has_headroom", "how", "n_seeds"]
    if not rows:
        return pd.DataFrame(columns=columns)
    per_seed = pd.DataFrame(rows)
    table = (
        per_seed.groupby(LEVEL)
        .agg(
            dense=("dense", "mean"),
            chance=("chance", "first"),
            se=("se", "mean"),
            how=("how", "first"),
            n_seeds=("seed", "nunique"),
        )
        .reset_index()
    )
    table["threshold"] = table["chance"] + n_se * table["se"]
    known = table["chance"].notna()
    # An SE of 0 (a constant score on every resample) makes the threshold chance itself:
    # a dense score equal to chance must not pass on it, or a level at chance enters claims.
    above = (table["dense"] >= table["threshold"]) & (
        (table["se"] > 0) | (table["dense"] > table["chance"])
    )
    table["has_headroom"] = ~known | above
    table.loc[~known, "how"] = "unverified: no chance level"
    return table[columns]


def with_headroom(normalized: Any, gate: Any) -> Any:
    """The rows of levels that pass the gate."""
    keyed = normalized.assign(regime=regime(normalized))
    passed = gate[gate["has_headroom"]][LEVEL]
    return keyed.merge(passed, on=LEVEL, how="inner").drop(columns="regime")
