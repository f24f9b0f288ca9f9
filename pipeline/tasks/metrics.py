"""GLUE metrics, computed by sklearn and scipy (never by hand)."""

from __future__ import annotations

from collections.abc import Callable, Sequence


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


METRICS: dict[str, Callable[[Sequence, Sequence], float]] = {
    "accuracy": accuracy,
    "f1": f1,
    "mcc": mcc,
    "pearson": pearson,
    "spearman": spearman,
}
