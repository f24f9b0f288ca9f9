"""Paper Fig. 10: loss and metric along the linear path dense -> sparse, barrier marked."""

from __future__ import annotations

from typing import Any

from pipeline.figures.common import pyplot


def data(lmc: Any) -> Any:
    return lmc.sort_values(["task", "alpha"]).reset_index(drop=True)


def draw(lmc: Any) -> Any:
    import seaborn as sns

    plt = pyplot()
    frame = data(lmc)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    for ax, column, label in ((axes[0], "loss", "validation loss"),
                              (axes[1], "value", "validation metric")):
        sns.lineplot(frame, x="alpha", y=column, hue="task", marker="o", ax=ax)
        ax.set_xlabel("α  (0 = dense fine-tuned, 1 = sparse fine-tuned)")
        ax.set_ylabel(label)
    for task, sub in frame.groupby("task"):
        peak = sub.loc[sub["loss"].idxmax()]
        axes[0].annotate(f"barrier {sub['loss_barrier'].iloc[0]:.3f}",
                         (peak["alpha"], peak["loss"]), textcoords="offset points",
                         xytext=(0, 6), ha="center", fontsize=7)
    comp = ", ".join(sorted(frame["compression"].unique())) if "compression" in frame else ""
    fig.suptitle(f"Linear mode connectivity, dense ↔ sparse ({comp})")
    return fig
