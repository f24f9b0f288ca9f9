"""The measured difficulty (paper Table 1, measured on the study's runs; the paper's printed
row is pipeline/analysis/printed_difficulty.py): across-task difficulty = (reference -
dense score) / reference, per task, drawn as bars (easiest on top) above the table of its
numbers; a control model's bars in a panel of their own, never among the model's."""

from __future__ import annotations

from typing import Any

from pipeline.analysis.difficulty import ACROSS_TASKS, across_task_difficulty
from pipeline.analysis.options import Analysis
from pipeline.figures import labels
from pipeline.figures.common import pyplot
from pipeline.figures.planned import drawn_budget, planned_rows
from pipeline.study import Study

NAME = "measured_difficulty"
TABLE = "normalized"
CAPTION = (
    "Paper Table 1. Across-task difficulty: the gap between each task's reference "
    "score (human performance in the paper; the Bayes-optimal score in the synthetic "
    "world) and the dense fine-tuned model's score (mean over seeds), as a fraction of "
    "the reference. The larger the gap, the harder the task for the model; a negative "
    "gap means the model beats the reference. A control model (one with no compressed "
    "run, the never pre-trained scratch model) is drawn in its own panel and columns: its "
    "gap says what pre-training adds, not how hard the task is."
)


def data(normalized: Any, analysis: Analysis) -> Any:
    """Table 1's rows, each marked ``control`` where its model has no compressed run in its
    setting (the never pre-trained scratch model is fine-tuned dense only): a control's gap
    says what pre-training adds, not how hard the task is for the model under study."""
    table = across_task_difficulty(normalized)
    compressed = normalized[normalized["compression"] != "dense"]
    studied = set(zip(compressed["setting"], compressed["model"], strict=True))
    table["control"] = [
        (s, m) not in studied for s, m in zip(table["setting"], table["model"], strict=True)
    ]
    return table.sort_values(["setting", "control", "model", "difficulty"]).reset_index(drop=True)


def draw(normalized: Any, analysis: Analysis) -> Any:
    plt = pyplot()
    frame = data(normalized, analysis)
    if frame.empty:
        raise ValueError(
            f"{NAME}: no dense rows of difficulty axis {ACROSS_TASKS!r} with a "
            "reference_score (docs/schema.md); across-task rows must carry the "
            "task's reference score"
        )
    model = frame[~frame["control"]].groupby("task").first()
    control = frame[frame["control"]].groupby("task").first()
    # The model's tasks from easy (top) to hard, then any task only a control ran.
    tasks = list(model.sort_values("difficulty").index)
    tasks += sorted(set(control.index) - set(tasks))
    names = [labels.task(t) for t in tasks]
    panels = [
        (rows, title, color)
        for rows, title, color in (
            (model, "model under study", "tab:purple"),
            (control, "control, never compressed", "tab:gray"),
        )
        if len(rows)
    ]
    n = len(tasks)
    fig = plt.figure(figsize=(7.4, 0.5 * n + 2.6))
    grid = fig.add_gridspec(2, len(panels), height_ratios=[0.3 * n + 1.0, 0.2 * n + 0.5])
    first = None
    for i, (rows, title, color) in enumerate(panels):
        ax = fig.add_subplot(grid[0, i], sharex=first, sharey=first)
        first = first or ax
        gap = 100 * rows["difficulty"].reindex(tasks)
        bars = ax.barh(range(n), gap.fillna(0), color=color, height=0.6)
        ax.bar_label(bars, [f"{g:.1f}%" if g == g else "" for g in gap], padding=2, fontsize=7)
        ax.axvline(0, color="black", lw=0.6)
        if i == 0:
            ax.set_yticks(range(n), names)
            ax.invert_yaxis()
        else:
            ax.tick_params(labelleft=False)
        ax.set_xlabel("gap to the reference (%)")
        models = ", ".join(sorted(rows["model"].unique()))
        ax.set_title(f"{title}: {models}\n{labels.seeds(rows['n_seeds'], 'per task')}")
    high = 100 * frame["difficulty"].max()
    first.set_xlim(min(0, 100 * frame["difficulty"].min()) * 1.15, max(high, 1) * 1.2)
    header = ["task", "metric", "reference", "dense score", "gap (%)"]
    if len(control):
        header += ["control score", "control gap (%)"]
    cells = []
    for task in tasks:
        lead = model.loc[task] if task in model.index else control.loc[task]
        row = [labels.task(task), lead["metric"], f"{lead['reference']:.3f}"]
        row += _score(model, task)
        cells.append(row + (_score(control, task) if len(control) else []))
    table = fig.add_subplot(grid[1, :])
    table.axis("off")
    drawn = table.table(cellText=cells, colLabels=header, loc="center", cellLoc="center")
    drawn.auto_set_font_size(False)
    drawn.set_fontsize(8)
    drawn.auto_set_column_width(list(range(len(header))))
    drawn.scale(1, 1.3)
    fig.suptitle(
        "Across-task difficulty (paper Table 1): gap = (reference − dense score) / reference",
        y=1.0,
        va="bottom",
    )
    fig.tight_layout()
    return fig


def _score(rows: Any, task: str) -> list[str]:
    if task not in rows.index:
        return ["–", "–"]
    return [f"{rows.loc[task, 'dense']:.3f}", f"{100 * rows.loc[task, 'difficulty']:.2f}"]


def rows(study: Study) -> Any:
    """The planned runs of the across-task setting (one column of the table each task)."""
    planned = drawn_budget(planned_rows(study))
    if planned.empty:
        return planned
    return planned[planned["difficulty_axis"] == ACROSS_TASKS].reset_index(drop=True)
