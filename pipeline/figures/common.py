"""Shared plotting set-up: a headless backend and atomic PNG output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.io import atomic_path


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="paper")
    return plt


def save(fig: Any, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=150, bbox_inches="tight")


def sparsity_curve_data(normalized: Any, setting: str, mode: str = "sparse") -> Any:
    """Normalized score per sparsity: the mode's compressed runs plus dense at sparsity 0."""
    import pandas as pd

    rows = normalized[normalized["setting"] == setting]
    dense = rows[rows["compression"] == "dense"].copy()
    dense = dense[dense["model"].isin(rows[rows["compression"] != "dense"]["model"])]
    compressed = rows[(rows["compression"] != "dense") & (rows["mode"] == mode)].copy()
    compressed["sparsity"] = compressed["level"].astype(float)
    frames = []
    for method in sorted(compressed["method"].unique()):
        frames.append(dense.assign(sparsity=0.0, method=method))
    data = pd.concat(frames + [compressed], ignore_index=True)
    return data.sort_values(["task", "difficulty", "sparsity", "seed"]).reset_index(drop=True)
