"""The registry of metrics: each metric's name, range and, for label metrics, the function
that computes it (sklearn and scipy, never by hand). The one list every part reads: task
scores, record checks (pipeline/load.py), the analysis' headroom and gaps.

At the bottom of the package (imports nothing of it), so that loading a record can check
its metrics; per-example outcomes and resampled scores are pipeline/tasks/metrics.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


def accuracy(labels: Sequence, preds: Sequence) -> float:
    from sklearn.metrics import accuracy_score

    return float(accuracy_score(labels, preds))


def f1(labels: Sequence, preds: Sequence) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(labels, preds))


def mcc(labels: Sequence, preds: Sequence) -> float:
    from sklearn.metrics import matthews_corrcoef

    return float(matthews_corrcoef(labels, preds))


def pearson(labels: Sequence, preds: Sequence) -> float:
    from scipy.stats import pearsonr

    return float(pearsonr(labels, preds).statistic)


def spearman(labels: Sequence, preds: Sequence) -> float:
    from scipy.stats import spearmanr

    return float(spearmanr(labels, preds).statistic)


@dataclass(frozen=True)
class Metric:
    """A metric a record may hold: its name, its range (values outside it mean the record is
    not what a run wrote: pipeline/load.py; NaN is allowed, a correlation of a constant
    prediction) and, for label metrics, the function that computes it from labels and
    predictions (None: the task's own scorer computes it, sacreBLEU or a mean over
    examples)."""

    name: str
    low: float
    high: float
    function: Callable[[Sequence, Sequence], float] | None = None

    @property
    def span(self) -> float:
        """The width of the range: what "a fraction of the metric's range" is of."""
        return self.high - self.low


# Every metric of every task (tests/test_registries.py checks the tasks name only these):
# fractions, correlations, and BLEU and chrF on sacreBLEU's 0-100 scale.
METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("accuracy", 0.0, 1.0, accuracy),
        Metric("f1", 0.0, 1.0, f1),  # binary F1 of labels; a QA run's mean token F1
        Metric("mcc", -1.0, 1.0, mcc),
        Metric("pearson", -1.0, 1.0, pearson),
        Metric("spearman", -1.0, 1.0, spearman),
        Metric("exact_match", 0.0, 1.0),
        Metric("lenient_containment", 0.0, 1.0),
        Metric("answer_accuracy", 0.0, 1.0),
        Metric("bleu", 0.0, 100.0),
        Metric("chrf", 0.0, 100.0),
    )
}
# The metrics computed from labels and predictions, by name (a view of METRICS).
LABEL_METRICS: dict[str, Callable[[Sequence, Sequence], float]] = {
    name: m.function for name, m in METRICS.items() if m.function is not None
}


def metric_span(name: str) -> float:
    """The width of ``name``'s range (1 for a fraction, 2 for a correlation, 100 for BLEU)."""
    try:
        return METRICS[name].span
    except KeyError:
        raise ValueError(f"unknown metric {name!r}; allowed: {sorted(METRICS)}") from None
