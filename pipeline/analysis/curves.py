"""Normalized rows as per-seed curves: score against sparsity (or bits), dense at the origin.

A curve is one (setting, model, task, difficulty, method, structure, mode, seed): its
compressed runs plus that cell's dense run at sparsity 0 (32 bits for quantization), where
the normalized score is 1 by definition (the dense zero-shot evaluation for zero-shot
curves).
"""

from __future__ import annotations

from typing import Any

from pipeline.analysis.difficulty import row_hardness
from pipeline.analysis.levels import DENSE_BITS, compression_axis
from pipeline.analysis.undefined_ratio import defined

CELL = ["setting", "model", "task", "difficulty"]
CURVE = CELL + ["method", "structure", "mode"]
ZERO_SHOT = "zero_shot"
KINDS = ("pruning", "quantization", "noise")  # compressed kinds (analysis/levels.py)


def annotate(normalized: Any, with_hardness: bool = True) -> Any:
    """The normalized table plus kind, structure, x (sparsity or bits) and hardness
    (skipped for planned rows, which have no scores to measure difficulty from)."""
    frame = normalized.copy()
    levels = {
        (m, lv): compression_axis(m, lv)
        for m, lv in frame[["method", "level"]].drop_duplicates().itertuples(index=False)
    }
    keys = list(zip(frame["method"], frame["level"], strict=True))
    frame["kind"] = [levels[k].kind for k in keys]
    frame["structure"] = [levels[k].structure for k in keys]
    frame["x"] = [levels[k].x for k in keys]
    if with_hardness:
        frame["hardness"] = row_hardness(frame)
    return frame


def curves(normalized: Any, kind: str = "pruning", every_budget: bool = False) -> Any:
    """Per-seed curves of one compression kind ("pruning", "quantization" or "noise"),
    dense at the origin of each; columns of ``annotate`` plus ``is_dense`` and ``budget``,
    sorted along x. Runs at the protocol's own training budget only (what figures and tables
    draw), unless ``every_budget``: then a larger-budget arm's curves start at its own dense
    run."""
    import pandas as pd

    if kind not in KINDS:
        raise ValueError(f"curve kind {kind!r}; allowed: {list(KINDS)}")
    budget = normalized["budget"].fillna(1.0) if "budget" in normalized.columns else 1.0
    normalized = normalized.assign(budget=budget)
    if not every_budget:
        normalized = normalized[normalized["budget"] == 1.0]
    frame = annotate(defined(normalized))  # levels without a ratio are listed, not drawn
    compressed = frame[frame["kind"] == kind].assign(is_dense=False)
    # The origin of a zero-shot curve is the dense model evaluated zero-shot, of a
    # fine-tuned curve the dense fine-tuned run.
    compressed["regime"] = compressed["mode"].where(compressed["mode"] == ZERO_SHOT, "dense")
    dense = frame[(frame["kind"] == "dense") & frame["mode"].isin(["dense", ZERO_SHOT])]
    dense = dense.assign(regime=dense["mode"])
    shapes = compressed[CURVE + ["regime", "budget"]].drop_duplicates()
    origin = shapes.merge(
        dense.drop(columns=["method", "structure", "mode"]), on=CELL + ["regime", "budget"]
    )
    origin = origin.assign(
        is_dense=True, kind=kind, x=DENSE_BITS if kind == "quantization" else 0.0
    )
    out = pd.concat([origin, compressed], ignore_index=True).drop(columns="regime")
    # Along the curve, compression grows: sparsity and noise scale up, bits down.
    out["strength"] = -out["x"] if kind == "quantization" else out["x"]
    return out.sort_values(CURVE + ["budget", "seed", "strength"]).reset_index(drop=True)
