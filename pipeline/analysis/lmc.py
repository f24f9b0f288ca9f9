"""LMC barriers per path with their interval over seeds (paper Fig. 10, issue #13 item 6).

Each seed's barrier is recomputed from its points along α with :func:`pipeline.lmc.barrier`
(so a table written under an older definition is read with the current one); a path's
barrier is the mean over seeds with a t interval over seeds (undefined with one
seed: an LMC path is one fine-tuned pair, whose evaluation noise is not resampled).
"""

from __future__ import annotations

from typing import Any

from pipeline.analysis.options import Analysis
from pipeline.analysis.stats import seed_interval
from pipeline.lmc import barrier

PATH = ["model", "task", "difficulty", "compression"]


def seed_barriers(lmc: Any) -> Any:
    """One row per (path, seed): loss_barrier and metric_barrier from the α points."""
    import pandas as pd

    rows = []
    for key, g in lmc.sort_values("alpha").groupby(PATH + ["seed"], sort=False):
        alphas = g["alpha"].to_list()
        rows.append(
            {
                **dict(zip(PATH + ["seed"], key, strict=True)),
                "loss_barrier": barrier(alphas, g["loss"].to_list(), higher_is_worse=True),
                "metric_barrier": barrier(alphas, g["value"].to_list(), higher_is_worse=False),
            }
        )
    return pd.DataFrame(rows, columns=PATH + ["seed", "loss_barrier", "metric_barrier"])


def barrier_summary(lmc: Any, analysis: Analysis) -> Any:
    """Per path: each barrier's mean over seeds with its interval, and the seed count."""
    import pandas as pd

    rows = []
    for key, g in seed_barriers(lmc).groupby(PATH, sort=False):
        row = dict(zip(PATH, key, strict=True))
        for column in ("loss_barrier", "metric_barrier"):
            iv = seed_interval(g[column], analysis.confidence)
            row |= {column: iv.mean, f"{column}_low": iv.low, f"{column}_high": iv.high}
        rows.append({**row, "n_seeds": len(g)})
    return pd.DataFrame(rows)
