"""From bootstrap replicates to a verdict: interval, one-sided test, detectable effect, Holm.

Every claim's statistic is oriented so that the hypothesis says "effect > 0". With
alpha = 1 - confidence:

- interval: the two-sided percentile interval at ``confidence`` (Efron & Tibshirani 1993,
  ch. 13); p: the one-sided bootstrap p-value of "effect <= 0", (1 + #{replicates <= 0}) /
  (B + 1) (Davison & Hinkley 1997, §4.4), which is below alpha exactly when the one-sided
  lower bound (the alpha quantile) is above 0;
- smallest detectable effect: (z_{1-alpha} + z_{power}) x SE, SE = half-width / z_{1-alpha/2}:
  the true effect a one-sided test at alpha finds with probability ``power``;
- equivalence margin delta = max(detectable effect, analysis margin): the study cannot tell
  effects below it from none, so "does not hold" means the one-sided upper bound (the
  1 - alpha quantile) is below delta (Schuirmann's one-sided test against the margin);
- verdict: holds when the (Holm-adjusted) p is at most alpha, does not hold when the upper
  bound is below delta, undecided otherwise (the interval admits both 0 and effects the
  study could resolve).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist
from typing import Any

import numpy as np

HOLDS, FAILS, UNDECIDED = "holds", "does not hold", "undecided"
POWER = 0.8


@dataclass(frozen=True)
class Estimate:
    value: float  # the statistic on the data
    low: float  # two-sided interval at the confidence level
    high: float
    lower: float  # one-sided bounds at the confidence level
    upper: float
    p: float  # one-sided p of "effect <= 0"
    detectable: float  # smallest effect detected with probability POWER
    n_seeds: int

    @property
    def defined(self) -> bool:
        return bool(np.isfinite(self.low) and np.isfinite(self.high))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: undefined numbers become None (null), not NaN."""
        out = {
            "mean": self.value,
            "ci_low": self.low,
            "ci_high": self.high,
            "lower_bound": self.lower,
            "upper_bound": self.upper,
            "p": self.p,
            "detectable_effect": self.detectable,
        }
        return {
            **{k: (float(v) if np.isfinite(v) else None) for k, v in out.items()},
            "n_seeds": self.n_seeds,
        }


UNDEFINED = Estimate(*(np.nan,) * 7, 0)


@lru_cache
def _z(p: float) -> float:
    return NormalDist().inv_cdf(p)


def estimate(values: np.ndarray, confidence: float, n_seeds: int, defined: bool = True) -> Estimate:
    """``values``: the statistic on the data (index 0) and on each bootstrap replicate."""
    values = np.asarray(values, dtype=float)
    observed, reps = float(values[0]), values[1:]
    reps = reps[np.isfinite(reps)]
    if not defined or len(reps) < 2 or not np.isfinite(observed):
        return Estimate(observed, *(np.nan,) * 6, n_seeds)
    alpha = 1 - confidence
    low, high, lower, upper = np.quantile(reps, [alpha / 2, 1 - alpha / 2, alpha, 1 - alpha])
    p = (1 + np.count_nonzero(reps <= 0)) / (len(reps) + 1)
    se = (high - low) / (2 * _z(1 - alpha / 2))
    detectable = (_z(1 - alpha) + _z(POWER)) * se
    return Estimate(observed, low, high, lower, upper, float(p), float(detectable), n_seeds)


def margin(est: Estimate, floor: float) -> float:
    """The equivalence margin delta: no narrower than the study resolves."""
    return max(est.detectable, floor) if np.isfinite(est.detectable) else floor


def decide(est: Estimate, alpha: float, floor: float, p_adjusted: float | None = None) -> tuple:
    """(verdict, reason) of "effect > 0" (see the module docstring)."""
    if not est.defined:
        return UNDECIDED, "interval undefined (no seed or example variation)"
    p = est.p if p_adjusted is None else p_adjusted
    delta = margin(est, floor)
    interval = f"[{est.low:+.3f}, {est.high:+.3f}]"
    if p <= alpha:
        adjusted = "" if p_adjusted is None else " after Holm"
        return HOLDS, f"effect above 0 (one-sided p = {p:.3g}{adjusted})"
    if est.upper < delta:
        return FAILS, (
            f"effect below the margin δ = {delta:.3f} (one-sided upper bound {est.upper:+.3f})"
        )
    return UNDECIDED, f"interval {interval} admits 0 and effects above δ = {delta:.3f}"


def holm(pvalues: dict[str, float]) -> dict[str, float]:
    """Holm's (1979) step-down adjusted p-values; NaN entries are left out of the family."""
    keys = [k for k, p in pvalues.items() if np.isfinite(p)]
    order = sorted(keys, key=lambda k: pvalues[k])
    m, running, out = len(order), 0.0, {k: np.nan for k in pvalues}
    for i, key in enumerate(order):
        running = max(running, min(1.0, (m - i) * pvalues[key]))
        out[key] = running
    return out
