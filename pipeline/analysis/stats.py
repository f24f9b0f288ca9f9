"""The statistical building blocks: a rank correlation that is defined on flat curves, a
bootstrap interval over seeds, and the three-way verdict rule."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

HOLDS, FAILS, UNDECIDED = "holds", "does not hold", "undecided"


def rank_correlation(x: Any, y: Any) -> float:
    """Spearman's ρ; 0 when either side is constant (no monotone association), where scipy
    leaves it undefined, so that a perfectly flat curve counts as "no drop"."""
    from scipy.stats import spearmanr

    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return 0.0
    return float(spearmanr(x, y).statistic)


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


def _undecided_why(interval: Interval, min_seeds: int) -> str | None:
    if interval.n == 0:
        return "no data"
    if interval.n < min_seeds:
        return f"too few seeds ({interval.n} < {min_seeds})"
    if not (np.isfinite(interval.low) and np.isfinite(interval.high)):
        return "interval undefined"
    return None


def decide_one_sided(
    interval: Interval, min_seeds: int, bound: float, claim: str
) -> tuple[str, str]:
    """(verdict, reason) for a claim "the effect is ``claim`` (above/below) ``bound``": it
    holds when the whole interval is beyond the bound, does not hold when the whole interval
    is on the other side (touching included), and is undecided when the interval straddles
    it or the data cannot give an interval."""
    if claim not in ("above", "below"):
        raise ValueError(f"claim side {claim!r}; allowed: ['above', 'below']")
    if why := _undecided_why(interval, min_seeds):
        return UNDECIDED, why
    lo, hi = interval.low, interval.high
    if (lo > bound) if claim == "above" else (hi < bound):
        return HOLDS, f"the whole interval is {claim} {bound:g}"
    if (hi <= bound) if claim == "above" else (lo >= bound):
        other = "below" if claim == "above" else "above"
        return FAILS, f"the whole interval is at or {other} {bound:g}"
    return UNDECIDED, f"the interval straddles {bound:g}"


def decide_difference(interval: Interval, min_seeds: int, margin: float) -> tuple[str, str]:
    """(verdict, reason) for "the two differ": holds when the whole interval of the
    difference lies outside ±margin, does not hold when it lies inside (equivalent within
    the margin), undecided otherwise."""
    if why := _undecided_why(interval, min_seeds):
        return UNDECIDED, why
    lo, hi = interval.low, interval.high
    if lo > margin or hi < -margin:
        return HOLDS, f"the whole interval lies outside ±{margin:g}"
    if -margin <= lo and hi <= margin:
        return FAILS, f"the whole interval lies within ±{margin:g}"
    return UNDECIDED, f"the interval overlaps the band ±{margin:g} and its outside"
