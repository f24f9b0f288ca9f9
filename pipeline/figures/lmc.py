"""Paper Fig. 10: loss and metric along the linear path dense -> sparse, barrier marked.

Each path (task, difficulty, compression) is one line, easier levels first; its barrier is
drawn as a vertical segment at the worst point of the mean path, as long as the mean over
seeds of the per-seed barrier in the table, and written beside it.
"""

from __future__ import annotations

from typing import Any

from pipeline.analysis.difficulty import hardness
from pipeline.analysis.options import Analysis
from pipeline.figures.common import pyplot, require_rows
from pipeline.paths import split_difficulty

NAME = "fig10_lmc"
TABLE = "lmc"
CAPTION = (
    "Paper Fig. 10. Linear interpolation θ(α) = (1-α)·θ_dense + α·θ_sparse between the "
    "dense fine-tuned model (α = 0) and the sparse fine-tuned model (α = 1) of the same "
    "cell, evaluated on the validation split: loss (left) and task metric (right). The "
    "vertical segment marks the barrier (worst point along the path against the mean "
    "of the two ends); bands are confidence intervals over seeds where several exist."
)
BARRIER = "barrier"  # gid of the barrier segments


def data(lmc: Any, analysis: Analysis) -> Any:
    frame = lmc.copy()
    frame["hardness"] = [hardness(*split_difficulty(d)) for d in frame["difficulty"]]
    frame["path"] = frame["task"] + " · " + frame["difficulty"] + " · " + frame["compression"]
    return frame.sort_values(["hardness", "path", "seed", "alpha"], na_position="last").reset_index(
        drop=True
    )


def barriers(frame: Any) -> Any:
    """Per path: where the mean path is worst, and the mean per-seed barrier there."""
    import pandas as pd

    rows = []
    for path, sub in frame.groupby("path", sort=False):
        mean = sub.groupby("alpha")[["loss", "value"]].mean()
        rows.append(
            {
                "path": path,
                "loss_alpha": mean["loss"].idxmax(),
                "loss_peak": mean["loss"].max(),
                "loss_barrier": sub["loss_barrier"].mean(),
                "metric_alpha": mean["value"].idxmin(),
                "metric_low": mean["value"].min(),
                "metric_barrier": sub["metric_barrier"].mean(),
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
            errorbar=("ci", round(100 * analysis.confidence)),
            seed=0,
            ax=ax,
        )
        ax.set_xlabel("α  (0 = dense fine-tuned, 1 = sparse fine-tuned)")
        ax.set_ylabel(label)
    axes[0].get_legend().remove()
    sns.move_legend(axes[1], "upper left", bbox_to_anchor=(1.02, 1), fontsize=7, title="path")
    for _, b in barriers(frame).iterrows():
        color = colors[b["path"]]
        top, bottom = b["loss_peak"], b["loss_peak"] - b["loss_barrier"]
        axes[0].vlines(b["loss_alpha"], bottom, top, colors=[color], lw=2, ls="-", gid=BARRIER)
        axes[0].annotate(
            f"barrier {b['loss_barrier']:.3f}",
            (b["loss_alpha"], top),
            textcoords="offset points",
            xytext=(0, 6),
            ha="center",
            fontsize=7,
            color=color,
        )
        low, high = b["metric_low"], b["metric_low"] + b["metric_barrier"]
        axes[1].vlines(b["metric_alpha"], low, high, colors=[color], lw=2, gid=BARRIER)
        axes[1].annotate(
            f"barrier {b['metric_barrier']:.3f}",
            (b["metric_alpha"], low),
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
    from pipeline.study import lmc_targets

    return bool(lmc_targets(config))
