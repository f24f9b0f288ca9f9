"""Paper Fig. 10: loss and metric along the linear path dense -> sparse, barrier marked.

Each path (task, difficulty, compression) is one line, easier levels first; its barrier
(the largest excess over the straight line between the path's end points, pipeline/lmc.py)
is drawn as a vertical segment from that line to the mean path where the mean path is
furthest from it, and written beside it as the mean over seeds of the per-seed barrier with
its interval over seeds.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pipeline.analysis.difficulty import hardness
from pipeline.analysis.lmc import PATH, barrier_summary
from pipeline.analysis.options import Analysis
from pipeline.analysis.stats import seed_band
from pipeline.figures.common import pyplot, require_rows
from pipeline.paths import split_difficulty
from pipeline.study import lmc_targets

NAME = "fig10_lmc"
TABLE = "lmc"
CAPTION = (
    "Paper Fig. 10. Linear interpolation θ(α) = (1-α)·θ_dense + α·θ_sparse between the "
    "dense fine-tuned model (α = 0) and the sparse fine-tuned model (α = 1) of the same "
    "cell, evaluated on the validation split: loss (left) and task metric (right). The "
    "vertical segment marks the barrier (largest excess of the path over the straight "
    "line between its two ends; mean over seeds, interval over seeds); bands are "
    "confidence intervals over seeds where several exist."
)
BARRIER = "barrier"  # gid of the barrier segments


def data(lmc: Any, analysis: Analysis) -> Any:
    frame = lmc.copy()
    frame["hardness"] = [hardness(*split_difficulty(d)) for d in frame["difficulty"]]
    frame["path"] = frame["task"] + " · " + frame["difficulty"] + " · " + frame["compression"]
    return frame.sort_values(["hardness", "path", "seed", "alpha"], na_position="last").reset_index(
        drop=True
    )


def _interval_text(value: float, low: float, high: float) -> str:
    if np.isfinite(low) and np.isfinite(high):
        return f"barrier {value:.3f} [{low:.3f}, {high:.3f}]"
    return f"barrier {value:.3f}"


def barriers(frame: Any, analysis: Analysis) -> Any:
    """Per path: where the mean path lies furthest on the worse side of the straight line
    between its end points, the line there, and the mean per-seed barrier with its
    interval over seeds (pipeline.analysis.lmc)."""
    import pandas as pd

    summary = barrier_summary(frame, analysis).set_index(PATH)
    rows = []
    for path, sub in frame.groupby("path", sort=False):
        mean = sub.groupby("alpha")[["loss", "value"]].mean()
        alpha = mean.index.to_numpy(dtype=float)
        line = {c: (1 - alpha) * mean[c].iloc[0] + alpha * mean[c].iloc[-1] for c in mean}
        loss_at = int(np.argmax(mean["loss"].to_numpy() - line["loss"]))
        metric_at = int(np.argmax(line["value"] - mean["value"].to_numpy()))
        s = summary.loc[tuple(sub[PATH].iloc[0])]
        rows.append(
            {
                "path": path,
                "loss_alpha": alpha[loss_at],
                "loss_peak": mean["loss"].iloc[loss_at],
                "loss_line": line["loss"][loss_at],
                "loss_text": _interval_text(
                    s["loss_barrier"], s["loss_barrier_low"], s["loss_barrier_high"]
                ),
                "metric_alpha": alpha[metric_at],
                "metric_low": mean["value"].iloc[metric_at],
                "metric_line": line["value"][metric_at],
                "metric_text": _interval_text(
                    s["metric_barrier"], s["metric_barrier_low"], s["metric_barrier_high"]
                ),
            }
        )
    return pd.DataFrame(rows)


def draw(lmc: Any, analysis: Analysis) -> Any:
    import seaborn as sns

    plt = pyplot()
    frame = data(lmc, analysis)
    require_rows(frame, NAME)
    order = list(dict.fromkeys(frame["path"]))
    colors = dict(zip(order, sns.color_palette("viridis_r", len(order)), strict=True))
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    metric = ", ".join(sorted(frame["metric"].unique()))
    for ax, column, label in (
        (axes[0], "loss", "validation loss"),
        (axes[1], "value", f"validation {metric}"),
    ):
        sns.lineplot(
            frame,
            x="alpha",
            y=column,
            hue="path",
            hue_order=order,
            palette=colors,
            marker="o",
            errorbar=seed_band(analysis.confidence),
            ax=ax,
        )
        ax.set_xlabel("α  (0 = dense fine-tuned, 1 = sparse fine-tuned)")
        ax.set_ylabel(label)
    axes[0].get_legend().remove()
    sns.move_legend(axes[1], "upper left", bbox_to_anchor=(1.02, 1), fontsize=7, title="path")
    for _, b in barriers(frame, analysis).iterrows():
        color = colors[b["path"]]
        axes[0].vlines(
            b["loss_alpha"], b["loss_line"], b["loss_peak"], colors=[color], lw=2, gid=BARRIER
        )
        axes[0].annotate(
            b["loss_text"],
            (b["loss_alpha"], b["loss_peak"]),
            textcoords="offset points",
            xytext=(0, 6),
            ha="center",
            fontsize=7,
            color=color,
        )
        axes[1].vlines(
            b["metric_alpha"], b["metric_low"], b["metric_line"], colors=[color], lw=2, gid=BARRIER
        )
        axes[1].annotate(
            b["metric_text"],
            (b["metric_alpha"], b["metric_low"]),
            textcoords="offset points",
            xytext=(0, -10),
            ha="center",
            fontsize=7,
            color=color,
        )
    seeds = frame.groupby("path")["seed"].nunique()
    fig.suptitle(
        f"Linear mode connectivity, dense ↔ sparse: {len(order)} paths, "
        f"{seeds.min()}–{seeds.max()} seeds each, {frame['alpha'].nunique()} points "
        "along each"
    )
    return fig


def planned(config: dict[str, Any]) -> bool:
    return bool(lmc_targets(config))
