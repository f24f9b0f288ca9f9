"""The printed difficulty: the paper's Table 1 as printed, across-task difficulty =
(human - model) / human x 100, from the model scores of the config's ``reference_scores``
block and the tasks' human scores (the measured form, from the study's own runs, is the
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
    """One row per (model, task) of every model block, tasks in the block's order, against
    the task's own human score (``human_score``: pipeline/tasks, the one place it is kept)."""
    import pandas as pd

    from pipeline.tasks.registry import TASKS

    if HUMAN in reference_scores:
        raise ValueError(
            f"reference_scores.{HUMAN}: the human scores are the tasks' own (their "
            "human_score, pipeline/tasks); remove this block"
        )
    human = {name: t.human_score for name, t in TASKS.items() if t.human_score is not None}
    rows = []
    for model, scores in reference_scores.items():
        unknown = sorted(set(scores) - set(human))
        if unknown:
            raise ValueError(
                f"reference_scores.{model}: tasks {unknown} have no human score; "
                f"allowed: {sorted(human)}"
            )
        for task, score in scores.items():
            rows.append(
                {
                    "model": model,
                    "task": task,
                    "human": float(human[task]),
                    "model_score": float(score),
                    "difficulty_pct": 100.0 * (human[task] - score) / human[task],
                }
            )
    if not rows:
        raise ValueError("reference_scores: no model block")
    return pd.DataFrame(rows, columns=COLUMNS)
