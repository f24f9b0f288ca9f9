"""From bootstrap replicates to a verdict: interval, one-sided test, detectable effect, Holm.

Every claim's statistic is oriented so that the hypothesis says "effect > 0". With
alpha = 1 - confidence:

- interval: the two-sided percentile interval at ``confidence`` (Efron & Tibshirani 1993,
  ch. 13); p: the one-sided bootstrap p-value of "effect <= 0", (1 + #{replicates <= 0}) /
  (B + 1) (Davison & Hinkley 1997, §4.4), which is below alpha exactly when the one-sided
  lower bound (the alpha quantile) is above 0;
- smallest detectable effect: (z_{1-alpha} + z_{power}) x SE, SE = half-width / z_{1-alpha/2}:
  the true effect a one-sided test at alpha finds with probability ``power``;
- margin delta: the smallest effect that matters, fixed in the config before the data
  (``analysis.margin``), never derived from the data: "does not hold" means the one-sided
  upper bound (the 1 - alpha quantile) is below delta (Schuirmann's 1987 one-sided test
  against the margin);
- verdict: holds when the (Holm-adjusted) p is at most alpha, does not hold when the upper
  bound is below delta, inconclusive otherwise -- with the detectable effect and about how
  many times the replication (seeds or items) would bring it down to delta.

With several pre-training seeds the interval is a t interval over the per-seed estimates
(:func:`estimate_t`: the seeds' spread on n - 1 degrees of freedom plus the item noise
they share, from the bootstrap), the same verdict rule on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist
from typing import Any

import numpy as np

HOLDS, FAILS, INCONCLUSIVE = "holds", "does not hold", "inconclusive"
POWER = 0.8
_TINY = 1e-12  # relative spread below which a statistic counts as constant (rounding)


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
    # A statistic that does not vary over the replicates (a one-run zero-shot curve compared
    # with itself) has no interval: a zero-width one would read as certainty.
    flat = len(reps) > 0 and np.ptp(reps) <= _TINY * max(1.0, abs(observed))
    if not defined or len(reps) < 2 or not np.isfinite(observed) or flat:
        return Estimate(observed, *(np.nan,) * 6, n_seeds)
    alpha = 1 - confidence
    low, high, lower, upper = np.quantile(reps, [alpha / 2, 1 - alpha / 2, alpha, 1 - alpha])
    p = (1 + np.count_nonzero(reps <= 0)) / (len(reps) + 1)
    se = (high - low) / (2 * _z(1 - alpha / 2))
    detectable = (_z(1 - alpha) + _z(POWER)) * se
    return Estimate(observed, low, high, lower, upper, float(p), float(detectable), n_seeds)


def estimate_t(
    observed: np.ndarray, confidence: float, n_seeds: int, common: float = 0.0
) -> Estimate:
    """Student-t interval of the mean of per-pre-training-seed statistics ``observed``: the
    top level of the design, whose few units a bootstrap under-covers. Their spread s^2
    holds everything below them (fine-tuning seeds, each seed's own evaluation noise: the
    ultimate-cluster estimator, Hansen, Hurwitz & Madow 1953) but not ``common``, the item
    noise they share (they score the same items; estimated by the caller from the item
    bootstrap): SE^2 = s^2 / n + common, with Welch-Satterthwaite degrees of freedom
    (Satterthwaite 1946) counting n - 1 for s^2 / n and the bootstrap-estimated part as
    known: n - 1 when the spread is all there is, more as the shared item noise
    dominates."""
    from scipy.special import stdtr, stdtrit  # Student t CDF and quantile (fast ufuncs)

    values = np.asarray(observed, dtype=float)
    values = values[np.isfinite(values)]
    n = len(values)
    if n < 2:
        return Estimate(float(values.mean()) if n else np.nan, *(np.nan,) * 6, n_seeds)
    alpha = 1 - confidence
    mean = float(values.mean())
    between, common = float(values.var(ddof=1) / n), max(common, 0.0)
    se = float(np.sqrt(between + common))
    if se <= _TINY * max(1.0, abs(mean)):  # no variation, up to rounding
        return Estimate(mean, *(np.nan,) * 6, n_seeds)
    df = (n - 1) * (between + common) ** 2 / between**2 if between > 0 else 1e6
    two, one = stdtrit(df, 1 - alpha / 2), stdtrit(df, 1 - alpha)
    p = float(stdtr(df, -mean / se))
    detectable = (one + _z(POWER)) * se
    return Estimate(mean, mean - two * se, mean + two * se, mean - one * se, mean + one * se, p,
                    float(detectable), n_seeds)  # fmt: skip


def shared_variance(replicates: np.ndarray) -> float:
    """The variance that pre-training seeds share through their common evaluation items:
    the mean covariance between two seeds' item-bootstrap replicates (seeds x B), which
    share the item resample and nothing else (0 where negative)."""
    reps = np.asarray(replicates, dtype=float)
    keep = np.isfinite(reps).all(axis=0)
    reps = reps[:, keep]
    n = len(reps)
    if n < 2 or reps.shape[1] < 2:
        return 0.0
    cov = np.cov(reps)
    return float(max((cov.sum() - np.trace(cov)) / (n * (n - 1)), 0.0))


def resolve_factor(est: Estimate, margin: float) -> float:
    """About how many times the current replication (seeds or items; the SE shrinks as
    1/sqrt(n)) brings the detectable effect down to the margin: (detectable / margin)^2."""
    if not np.isfinite(est.detectable) or margin <= 0:
        return np.nan
    return float((est.detectable / margin) ** 2)


def decide(est: Estimate, alpha: float, margin: float, p_adjusted: float | None = None) -> tuple:
    """(verdict, reason) of "effect > 0" against the fixed ``margin`` (module docstring)."""
    if not est.defined:
        return INCONCLUSIVE, "no interval (no seed or item variation)"
    p = est.p if p_adjusted is None else p_adjusted
    if p <= alpha:
        adjusted = "" if p_adjusted is None else " after Holm"
        return HOLDS, f"effect above 0 (one-sided p = {p:.3g}{adjusted})"
    if est.upper < margin:
        return FAILS, (
            f"effect below the margin {margin:.3f} (one-sided upper bound {est.upper:+.3f})"
        )
    factor = resolve_factor(est, margin)
    more = (
        f"about {factor:.1f}x the seeds or items would bring it to the margin"
        if factor > 1
        else "the estimate sits between 0 and the margin; more seeds or items would decide"
    )
    return INCONCLUSIVE, (
        f"interval [{est.low:+.3f}, {est.high:+.3f}] admits 0 and effects above the margin "
        f"{margin:.3f}; detectable effect {est.detectable:.3f}: {more}"
    )


def holm(pvalues: dict[str, float]) -> dict[str, float]:
    """Holm's (1979) step-down adjusted p-values; NaN entries are left out of the family."""
    keys = [k for k, p in pvalues.items() if np.isfinite(p)]
    order = sorted(keys, key=lambda k: pvalues[k])
    m, running, out = len(order), 0.0, {k: np.nan for k in pvalues}
    for i, key in enumerate(order):
        running = max(running, min(1.0, (m - i) * pvalues[key]))
        out[key] = running
    return out
