"""A run's corpus metric on many bootstrap resamples of its evaluation examples at once.

A resample is a vector of counts (how often each example was drawn), so B resamples are a
count matrix ``W`` (B x n). Each metric is recomputed from the weighted examples in the same
way as :func:`pipeline.tasks.metrics.from_examples` computes it from the rows (the tests
check that they agree on the full set): BLEU/chrF from summed sacreBLEU statistics (scored by
sacreBLEU), accuracy/F1/MCC from the weighted confusion matrix, Pearson/Spearman from
weighted moments (Spearman on the resample's mid-ranks), anything else as the weighted mean
score. Written with numpy because calling sklearn once per resample would take minutes at
paper scale; every formula is the textbook one (see docs/statistics.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.metrics import LABEL_METRICS
from pipeline.tasks.metrics import SACREBLEU_METRICS, sacrebleu_metric


def _safe_divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, 0 where den is 0 (sklearn's convention for MCC and F1, scipy's NaN for a
    constant Pearson input is also mapped to 0: a constant predictor has no correlation)."""
    out = np.zeros(np.broadcast(num, den).shape)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _confusion(w: np.ndarray, target: np.ndarray, prediction: np.ndarray) -> np.ndarray:
    """Weighted confusion counts, B x K x K (true class, predicted class)."""
    classes, codes = np.unique(np.concatenate([target, prediction]), return_inverse=True)
    k = len(classes)
    t, p = codes[: len(target)], codes[len(target) :]
    onehot = np.zeros((len(target), k * k))
    onehot[np.arange(len(target)), t * k + p] = 1.0
    return (w @ onehot).reshape(len(w), k, k)


def _mcc(c: np.ndarray) -> np.ndarray:
    # Gorodkin's multi-class MCC, the formula of sklearn.metrics.matthews_corrcoef.
    t, p = c.sum(axis=2), c.sum(axis=1)
    correct = np.trace(c, axis1=1, axis2=2)
    s = c.sum(axis=(1, 2))
    num = correct * s - (t * p).sum(axis=1)
    den = np.sqrt((s**2 - (p**2).sum(axis=1)) * (s**2 - (t**2).sum(axis=1)))
    return _safe_divide(num, den)


def _binary_f1(w: np.ndarray, target: np.ndarray, prediction: np.ndarray) -> np.ndarray:
    # Positive class 1, as sklearn.metrics.f1_score's default.
    tp = w @ ((target == 1) & (prediction == 1)).astype(float)
    fp = w @ ((target != 1) & (prediction == 1)).astype(float)
    fn = w @ ((target == 1) & (prediction != 1)).astype(float)
    return _safe_divide(2 * tp, 2 * tp + fp + fn)


def _pearson(w: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Weighted Pearson r per row of w (x, y: n, or B x n)."""
    total = w.sum(axis=1, keepdims=True)
    mx = (w * x).sum(axis=1, keepdims=True) / total
    my = (w * y).sum(axis=1, keepdims=True) / total
    dx, dy = x - mx, y - my
    cov = (w * dx * dy).sum(axis=1)
    var = np.sqrt((w * dx**2).sum(axis=1) * (w * dy**2).sum(axis=1))
    return _safe_divide(cov, var)


def _midranks(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Each example's mid-rank within each resample (ties share the mean rank), B x n."""
    values, inverse = np.unique(x, return_inverse=True)
    counts = np.zeros((len(w), len(values)))
    np.add.at(counts.T, inverse, w.T)  # counts per distinct value, per resample
    below = np.cumsum(counts, axis=1) - counts
    return (below + (counts + 1) / 2)[:, inverse]


def _label_metric(metric: str, w: np.ndarray, target: np.ndarray, pred: np.ndarray) -> Any:
    if metric == "accuracy":
        return (w @ (target == pred).astype(float)) / w.sum(axis=1)
    if metric == "f1":
        return _binary_f1(w, target, pred)
    if metric == "mcc":
        return _mcc(_confusion(w, target, pred))
    if metric == "pearson":
        return _pearson(w, target, pred)
    if metric == "spearman":
        return _pearson(w, _midranks(w, target), _midranks(w, pred))
    raise ValueError(f"metric {metric!r}: no weighted form; allowed: {sorted(LABEL_METRICS)}")


@dataclass(frozen=True)
class Examples:
    """One run's per-example columns (rows sorted by example_id), as numpy arrays."""

    score: np.ndarray
    prediction: np.ndarray
    target: np.ndarray
    stats: list


def weighted_metric(metric: str, examples: Examples, w: np.ndarray) -> np.ndarray:
    """``metric`` of one run's examples under each row of the count matrix ``w`` (B x n):
    a length-B vector. Same dispatch as ``from_examples``."""
    w = np.asarray(w, dtype=float)
    if metric in SACREBLEU_METRICS:
        stats = np.stack([np.asarray(s, dtype=float) for s in examples.stats])
        scorer = sacrebleu_metric(metric)
        # sacreBLEU turns summed statistics into its score; its own significance module
        # resamples the same way (one call per resample, each a few microseconds).
        return np.array([scorer._compute_score_from_stats(list(s)).score for s in w @ stats])
    if metric in LABEL_METRICS and not np.isnan(examples.prediction).any():
        return _label_metric(metric, w, examples.target, examples.prediction)
    if np.isnan(examples.score).any():
        raise ValueError(f"metric {metric!r}: examples have no score, prediction or stats")
    return (w @ examples.score) / w.sum(axis=1)


def _is_mean(metric: str, examples: Examples) -> bool:
    return metric not in SACREBLEU_METRICS and not (
        metric in LABEL_METRICS and not np.isnan(examples.prediction).any()
    )


def weighted_metrics(metrics: list[str], examples: list[Examples], w: np.ndarray) -> np.ndarray:
    """:func:`weighted_metric` of several runs scored on the same examples (runs x B); the
    runs whose metric is a mean score share one matrix product."""
    w = np.asarray(w, dtype=float)
    out = np.empty((len(metrics), len(w)))
    means = [i for i, (m, e) in enumerate(zip(metrics, examples, strict=True)) if _is_mean(m, e)]
    if means:
        scores = np.stack([examples[i].score for i in means])
        if np.isnan(scores).any():
            raise ValueError(f"metrics {sorted(set(metrics))}: examples without a score")
        out[means] = (scores @ w.T) / w.sum(axis=1)
    for i in sorted(set(range(len(metrics))) - set(means)):
        out[i] = weighted_metric(metrics[i], examples[i], w)
    return out
