"""Paper Table 1: across-task difficulty = (reference - dense score) / reference, per task,
drawn as bars (hardest on top) beside the table of its numbers."""

from __future__ import annotations

from typing import Any

from pipeline.analysis.difficulty import ACROSS_TASKS, across_task_difficulty
from pipeline.analysis.options import Analysis
from pipeline.figures.common import pyplot
from pipeline.figures.planned import planned_rows

NAME = "table1_difficulty"
TABLE = "normalized"
CAPTION = (
    "Paper Table 1. Across-task difficulty: the gap between each task's reference "
    "score (human performance in the paper; the Bayes-optimal score in the synthetic "
    "world) and the dense fine-tuned model's score (mean over seeds), as a fraction of "
    "the reference. The larger the gap, the harder the task for the model; a negative "
    "gap means the model beats the reference."
)


def data(normalized: Any, analysis: Analysis) -> Any:
    table = across_task_difficulty(normalized)
    return table.sort_values(["setting", "model", "difficulty"]).reset_index(drop=True)


def draw(normalized: Any, analysis: Analysis) -> Any:
    plt = pyplot()
    frame = data(normalized, analysis)
    if frame.empty:
        raise ValueError(
            f"{NAME}: no dense rows of difficulty axis {ACROSS_TASKS!r} with a "
            "reference_score (docs/schema.md); across-task rows must carry the "
            "task's reference score"
        )
    labels = [
        f"{t} ({m})" if frame["model"].nunique() > 1 else t
        for t, m in zip(frame["task"], frame["model"], strict=True)
    ]
    fig, (bars, table) = plt.subplots(
        1, 2, figsize=(11, 0.5 * len(frame) + 1.8), gridspec_kw={"width_ratios": [1, 1.4]}
    )
    bars.barh(labels, 100 * frame["difficulty"], color="tab:purple")
    bars.axvline(0, color="grey", lw=0.8)
    bars.set_xlabel("task difficulty (%): (reference − dense) / reference")
    bars.set_title(
        f"dense runs: {frame['n_seeds'].min()}–{frame['n_seeds'].max()} seeds per task", fontsize=9
    )
    cells = [
        [t, m, f"{r:.4g}", f"{d:.4g}", f"{100 * g:.2f}"]
        for t, m, r, d, g in zip(
            labels,
            frame["metric"],
            frame["reference"],
            frame["dense"],
            frame["difficulty"],
            strict=True,
        )
    ]
    table.axis("off")
    table.table(
        cellText=cells,
        colLabels=["task", "metric", "reference", "dense model", "difficulty (%)"],
        loc="center",
    )
    fig.suptitle("Across-task difficulty (paper Table 1)")
    return fig


def planned(config: dict[str, Any]) -> bool:
    rows = planned_rows(config)
    return not rows.empty and bool((rows["difficulty_axis"] == ACROSS_TASKS).any())
