"""Metrics per corpus and per example (the registry of metrics, their ranges and label
functions, is pipeline/metrics.py).

A run keeps its per-example outcomes (``examples.parquet``, columns in
:mod:`pipeline.examples`) so that statistics can resample evaluation examples and recompute
the headline metric on every resample with :func:`from_examples`:

- label metrics (accuracy, F1, MCC, Pearson, Spearman) keep each example's ``prediction``
  and ``target`` and are recomputed from them with the same functions as the run's own
  score (:data:`LABEL_METRICS`);
- sacreBLEU metrics (BLEU, chrF) do not decompose over sentences, so each example keeps its
  sufficient statistics (``stats``), which sacreBLEU itself sums and turns into a corpus
  score (the way its own paired bootstrap, ``sacrebleu.significance``, resamples);
- every other generation metric (exact match, token F1, answer accuracy, ...) is a mean
  over examples of the example's ``score``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from pipeline.metrics import LABEL_METRICS


def sacrebleu_metric(name: str) -> Any:
    """A fresh sacreBLEU metric object in its default configuration (the one the
    translation tasks score with)."""
    from sacrebleu.metrics import BLEU, CHRF

    return {"bleu": BLEU, "chrf": CHRF}[name]()


SACREBLEU_METRICS = ("bleu", "chrf")
NAN = math.nan


def logit_examples(labels: Sequence, preds: Sequence, regression: bool) -> dict[str, list]:
    """Per-example columns of a classification / regression / multiple-choice run: the
    predicted and true label (or value) and a decomposable score (1/0 correct; squared
    error for regression)."""
    target = [float(y) for y in labels]
    prediction = [float(p) for p in preds]
    if regression:
        score = [(p - y) ** 2 for p, y in zip(prediction, target, strict=True)]
    else:
        score = [float(p == y) for p, y in zip(prediction, target, strict=True)]
    return _columns(score, prediction, target, [[] for _ in target])


def generation_examples(
    task: Any, references: list[list[str]], predictions: list[str]
) -> dict[str, list]:
    """Per-example columns of a generation run for the task's headline metric: sacreBLEU
    sufficient statistics (BLEU, chrF; score NaN), else the task's own score of the one
    example (exact match, token F1, answer accuracy: metrics that are means over examples)."""
    n = len(predictions)
    if task.metric in SACREBLEU_METRICS:
        # sacreBLEU's per-sentence statistics (its significance module resamples them too).
        stats = sacrebleu_metric(task.metric)._extract_corpus_statistics(
            predictions, [[r[0] for r in references]]
        )
        return _columns([NAN] * n, [NAN] * n, [NAN] * n, [[float(s) for s in x] for x in stats])
    score = [
        float(task.score([ref], [pred])[task.metric])
        for ref, pred in zip(references, predictions, strict=True)
    ]
    return _columns(score, [NAN] * n, [NAN] * n, [[] for _ in range(n)])


def _columns(score: list, prediction: list, target: list, stats: list) -> dict[str, list]:
    return {
        "example_id": list(range(len(score))),
        "score": score,
        "prediction": prediction,
        "target": target,
        "stats": stats,
    }


def from_examples(metric: str, frame: Any) -> float:
    """The corpus-level ``metric`` of any set of rows of an ``examples.parquet`` frame
    (resampled rows may repeat); on the full set it equals the run's ``metrics.json`` value.

    ``f1`` is the binary F1 of the labels when the rows carry predictions (classification),
    and the mean of the per-example token F1 when they do not (QA generation).
    """
    import numpy as np

    if len(frame) == 0:
        raise ValueError(f"metric {metric!r}: no examples to score")
    if metric in SACREBLEU_METRICS:
        if frame["stats"].map(len).eq(0).any():
            raise ValueError(f"metric {metric!r} needs per-example sacreBLEU statistics")
        totals = np.sum(np.stack(frame["stats"].map(np.asarray).to_list()), axis=0)
        return float(sacrebleu_metric(metric)._compute_score_from_stats(totals.tolist()).score)
    if metric in LABEL_METRICS and frame["prediction"].notna().all():
        return LABEL_METRICS[metric](frame["target"].to_numpy(), frame["prediction"].to_numpy())
    if frame["score"].notna().all():
        return math.fsum(frame["score"]) / len(frame)
    raise ValueError(
        f"metric {metric!r} cannot be computed from these examples: allowed are "
        f"{sorted(SACREBLEU_METRICS)} (from stats), {sorted(LABEL_METRICS)} (from predictions), "
        "or any mean metric (from score)"
    )
