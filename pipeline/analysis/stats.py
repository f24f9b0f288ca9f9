"""A bootstrap interval over seeds of one per-seed quantity (safe sparsity, the summary's
curve points). The claims use the hierarchical bootstrap of :mod:`pipeline.analysis.resample`
instead, with the verdict rule of :mod:`pipeline.analysis.decide`."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Interval:
    """Mean of per-seed values with a bootstrap confidence interval (seeds resampled)."""

    mean: float
    low: float
    high: float
    n: int

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: undefined numbers become None (null), not NaN."""
        values = {"mean": self.mean, "ci_low": self.low, "ci_high": self.high}
        return {**{k: v if np.isfinite(v) else None for k, v in values.items()}, "n_seeds": self.n}


def seed_interval(values: Any, confidence: float, resamples: int) -> Interval:
    """Bootstrap CI of the mean over seeds (BCa; percentile where BCa is undefined, e.g. all
    values equal). NaN bounds with fewer than two seeds; fixed RNG, so reruns agree."""
    from scipy.stats import bootstrap

    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    n = len(values)
    if n == 0:
        return Interval(np.nan, np.nan, np.nan, 0)
    mean = float(values.mean())
    if n < 2:
        return Interval(mean, np.nan, np.nan, n)
    if np.ptp(values) == 0:
        return Interval(mean, mean, mean, n)
    for method in ("BCa", "percentile"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ci = bootstrap(
                (values,),
                np.mean,
                confidence_level=confidence,
                method=method,
                n_resamples=resamples,
                rng=np.random.default_rng(0),
            ).confidence_interval
        if np.isfinite(ci.low) and np.isfinite(ci.high):
            break
    return Interval(mean, float(ci.low), float(ci.high), n)
