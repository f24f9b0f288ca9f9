"""Safe sparsity against task difficulty: how far each task can be pruned (sparse transfer)
before its normalized score leaves the tolerance of dense, easy levels on the left."""

from __future__ import annotations

from typing import Any

import numpy as np

from pipeline.analysis.curves import annotate
from pipeline.analysis.options import Analysis
from pipeline.analysis.safe_sparsity import safe_sparsity
from pipeline.figures.common import pyplot, require_rows
from pipeline.figures.planned import planned_rows

NAME = "safe_sparsity"
TABLE = "normalized"
CAPTION = (
    "Safe sparsity per task: the highest tested sparsity up to which every tested "
    "sparsity keeps the normalized score within the tolerance of dense (sparse "
    "transfer), mean over seeds with its t confidence interval, against the "
    "difficulty levels of each setting ordered from easy to hard. The dotted line is "
    "the highest sparsity tested: a point on it may be safe beyond what was tried."
)


def data(normalized: Any, analysis: Analysis) -> Any:
    table = safe_sparsity(normalized, analysis)
    table = table[table["mode"] == "sparse"].copy()
    table["series"] = table["task"] + " · " + table["method"] + " (" + table["structure"] + ")"
    return table.sort_values(
        ["setting", "hardness", "difficulty", "series"], na_position="last"
    ).reset_index(drop=True)


def draw(normalized: Any, analysis: Analysis) -> Any:
    import seaborn as sns

    plt = pyplot()
    frame = data(normalized, analysis)
    require_rows(frame, NAME)
    settings = list(dict.fromkeys(frame["setting"]))
    fig, axes = plt.subplots(1, len(settings), figsize=(5 * len(settings), 3.8), squeeze=False)
    series = list(dict.fromkeys(frame["series"]))
    colors = dict(zip(series, sns.color_palette("deep", len(series)), strict=True))
    for ax, setting in zip(axes[0], settings, strict=True):
        sub = frame[frame["setting"] == setting]
        levels = list(dict.fromkeys(sub["difficulty"]))  # already easy -> hard
        position = {level: i for i, level in enumerate(levels)}
        for name, s in sub.groupby("series", sort=False):
            x = np.array([position[d] for d in s["difficulty"]], dtype=float)
            y = s["safe_sparsity"].to_numpy()
            err = np.abs(np.vstack([y - s["ci_low"].to_numpy(), s["ci_high"].to_numpy() - y]))
            ax.errorbar(
                x, y, yerr=np.nan_to_num(err), marker="o", capsize=3, label=name, color=colors[name]
            )
        ax.axhline(sub["max_tested"].max(), color="grey", lw=0.8, ls=":")
        ax.set_xticks(range(len(levels)), levels, rotation=20)
        ax.set_xlabel("difficulty level (easy → hard)")
        ax.set_ylabel(f"safe sparsity (score ≥ {analysis.tolerance:g} × dense)")
        ax.set_ylim(-0.02, 1.0)
        ax.set_title(f"{setting} · {sub['n_seeds'].max()} seeds per point", fontsize=9)
        ax.legend(fontsize=7)
    fig.suptitle(f"How far can each task be pruned? ({analysis.confidence:.0%} CI over seeds)")
    return fig


def planned(config: dict[str, Any]) -> bool:
    rows = planned_rows(config)
    if rows.empty:
        return False
    rows = annotate(rows, with_hardness=False)
    return bool(((rows["kind"] == "pruning") & (rows["mode"] == "sparse")).any())
