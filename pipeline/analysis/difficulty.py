"""How hard a difficulty level is, as a number that grows with difficulty.

Within a task (settings 1-3) the level string says it: a registry keyed by the difficulty
axis (the part of a difficulty label before ``-``) maps the level to its hardness. Across
tasks (setting 4, axis ``task``) it is measured, as in the paper's Table 1:
(reference - dense score) / reference, from the rows' ``reference_score`` (human or
Bayes-optimal score, in the metric's units) and the task's dense runs (mean over seeds).
The claims about difficulty (b, c, e) only need the order, so any increasing transform will
do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

ACROSS_TASKS = "task"  # the difficulty axis whose hardness is measured, not named

HARDNESS: dict[str, Callable[[str], float]] = {
    # Setting 1, data adequacy: less fine-tuning data is harder.
    "fraction": lambda level: -float(level),
    # Setting 2, languages: a smaller share of the pre-training corpus is harder.
    "share": lambda level: -float(level),
    # Setting 2 as configured by language group: minority languages are the harder group.
    "lang": lambda level: {"majority": 0.0, "minority": 1.0}[level],
    # Setting 3, external information: closed book is harder than open book.
    "book": lambda level: {"open": 0.0, "closed": 1.0}[level],
    # Fact recall: facts the corpus states rarely are harder to recall.
    "freq": lambda level: {"frequent": 0.0, "all": 0.5, "rare": 1.0}[level],
}


# How figures and tables name a level of each axis ("10% data", "closed book"). Across tasks
# (axis ``task``) the task itself is the level: figures name it by the task's ``label``.
LEVEL_LABELS: dict[str, Callable[[str], str]] = {
    "fraction": lambda level: f"{100 * float(level):g}% data",
    "share": lambda level: f"{100 * float(level):g}% of the corpus",
    "lang": lambda level: f"{level} languages",
    "book": lambda level: f"{level} book",
    "freq": lambda level: f"{level} facts",
    ACROSS_TASKS: lambda level: "whole task",
}


def level_label(axis: str, level: str) -> str:
    """The printed name of one level; an axis without a label prints ``axis level``."""
    name = LEVEL_LABELS.get(axis)
    return name(level) if name else f"{axis} {level}"


def hardness(axis: str, level: str) -> float:
    """Hardness of one named level; NaN when the axis has no known order (claims about
    difficulty then stay undecided for it rather than guessing)."""
    order = HARDNESS.get(axis)
    if order is None:
        return float("nan")
    try:
        return float(order(level))
    except (KeyError, ValueError) as err:
        raise ValueError(
            f"difficulty '{axis}-{level}': {level!r} is not a level of axis {axis!r} ({err})"
        ) from err


def across_task_difficulty(frame: Any) -> Any:
    """Per (setting, model, task) with a reference score: the reference, the mean dense
    score over seeds, its number of seeds and difficulty = (reference - dense) / reference."""
    import pandas as pd

    columns = ["setting", "model", "task", "metric", "reference", "dense", "n_seeds", "difficulty"]
    if "reference_score" not in frame.columns:
        return pd.DataFrame(columns=columns)
    dense = frame[
        (frame["compression"] == "dense")
        & (frame["mode"] == "dense")
        & (frame["difficulty_axis"] == ACROSS_TASKS)
        & frame["reference_score"].notna()
    ]
    table = (
        dense.groupby(["setting", "model", "task", "metric"])
        .agg(
            reference=("reference_score", "first"),
            dense=("value", "mean"),
            n_seeds=("seed", "nunique"),
        )
        .reset_index()
    )
    table["difficulty"] = (table["reference"] - table["dense"]) / table["reference"]
    return table[columns]


def row_hardness(frame: Any) -> Any:
    """Hardness of every row: named levels from the registry, across-task levels measured."""
    values = np.array(
        [
            hardness(a, v)
            for a, v in zip(frame["difficulty_axis"], frame["difficulty_level"], strict=True)
        ],
        dtype=float,
    )
    measured = across_task_difficulty(frame)
    if len(measured):
        lookup = measured.set_index(["setting", "model", "task"])["difficulty"]
        keys = list(zip(frame["setting"], frame["model"], frame["task"], strict=True))
        across = (frame["difficulty_axis"] == ACROSS_TASKS).to_numpy()
        values[across] = [lookup.get(k, np.nan) for k, a in zip(keys, across, strict=True) if a]
    return values
