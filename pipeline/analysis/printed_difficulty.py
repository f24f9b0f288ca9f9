"""The printed difficulty: the paper's Table 1 as printed, across-task difficulty =
(human - model) / human x 100, from the human and model scores of the config's
``reference_scores`` block (the measured form, from the study's own runs, is the
``measured_difficulty`` figure, pipeline/figures/measured_difficulty.py).

Scores there are fractions in the metric's units (accuracy 0.978, MCC 0.664), like every
metric value of the project; the paper prints percent. The ratio does not depend on the
unit; ``difficulty_pct`` is in percent, as the paper's row.
"""

from __future__ import annotations

from typing import Any

HUMAN = "human"
PRINTED_TABLE = "tables/printed_difficulty.parquet"
PRINTED_CSV = "tables/printed_difficulty.csv"
COLUMNS = ["model", "task", "human", "model_score", "difficulty_pct"]


def printed_difficulty(reference_scores: dict[str, dict[str, float]]) -> Any:
    """One row per (model, task) of every model block, tasks in the human block's order."""
    import pandas as pd

    if HUMAN not in reference_scores:
        raise ValueError(
            f"reference_scores: needs a '{HUMAN}' block; got {sorted(reference_scores)}"
        )
    human = reference_scores[HUMAN]
    rows = []
    for model, scores in reference_scores.items():
        if model == HUMAN:
            continue
        unknown = sorted(set(scores) - set(human))
        if unknown:
            raise ValueError(
                f"reference_scores.{model}: tasks {unknown} have no human score; "
                f"allowed: {sorted(human)}"
            )
        for task, reference in human.items():
            if task not in scores:
                continue
            if reference == 0:
                raise ValueError(f"reference_scores.{HUMAN}.{task}: a zero score has no gap")
            score = scores[task]
            rows.append(
                {
                    "model": model,
                    "task": task,
                    "human": float(reference),
                    "model_score": float(score),
                    "difficulty_pct": 100.0 * (reference - score) / reference,
                }
            )
    if not rows:
        raise ValueError("reference_scores: no model block besides 'human'")
    return pd.DataFrame(rows, columns=COLUMNS)
