"""Aggregation over seeds: every point of every curve as a mean with its t interval over seeds.

One row per (setting, model, task, difficulty, method, structure, mode, x): the normalized
score and the raw metric, each as the mean over seeds with the t interval of
``analysis.confidence`` (the numbers behind the figures' lines and bands).
"""

from __future__ import annotations

from typing import Any

from pipeline.analysis.curves import CURVE, KINDS, curves
from pipeline.analysis.options import Analysis
from pipeline.analysis.stats import seed_interval

KEYS = CURVE + ["kind", "x"]


def summarize(normalized: Any, analysis: Analysis) -> Any:
    import pandas as pd

    frame = pd.concat([curves(normalized, kind) for kind in KINDS], ignore_index=True)
    rows = []
    for key, group in frame.groupby(KEYS, sort=True):
        score = seed_interval(group["normalized"], analysis.confidence)
        value = seed_interval(group["value"], analysis.confidence)
        rows.append(
            {
                **dict(zip(KEYS, key, strict=True)),
                "hardness": group["hardness"].iloc[0],
                "metric": group["metric"].iloc[0],
                "normalized": score.mean,
                "normalized_ci_low": score.low,
                "normalized_ci_high": score.high,
                "value": value.mean,
                "value_ci_low": value.low,
                "value_ci_high": value.high,
                "n_seeds": score.n,
            }
        )
    columns = KEYS + [
        "hardness",
        "metric",
        "normalized",
        "normalized_ci_low",
        "normalized_ci_high",
        "value",
        "value_ci_low",
        "value_ci_high",
        "n_seeds",
    ]
    return pd.DataFrame(rows, columns=columns)
