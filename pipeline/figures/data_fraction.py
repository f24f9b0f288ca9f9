"""Paper Fig. 1: normalized score vs sparsity, one line per data fraction, a panel per task."""

from __future__ import annotations

from typing import Any

from pipeline.figures.common import pyplot, sparsity_curve_data


def data(normalized: Any) -> Any:
    frame = sparsity_curve_data(normalized, "data_fraction")
    frame["fraction"] = frame["difficulty_level"].astype(float)
    return frame


def draw(normalized: Any) -> Any:
    import seaborn as sns

    plt = pyplot()
    frame = data(normalized)
    tasks = sorted(frame["task"].unique())
    fig, axes = plt.subplots(1, len(tasks), figsize=(4 * len(tasks), 3.4), squeeze=False,
                             sharey=True)
    for ax, task in zip(axes[0], tasks, strict=True):
        sub = frame[frame["task"] == task]
        sns.lineplot(sub, x="sparsity", y="normalized", hue="fraction", marker="o",
                     errorbar=("ci", 95), palette="viridis", ax=ax)
        n_seeds = sub["seed"].nunique()
        ax.set_title(f"{task} (magnitude, sparse; {n_seeds} seeds, {len(sub)} runs)")
        ax.set_xlabel(f"sparsity ({sub['sparsity'].min():g}–{sub['sparsity'].max():g})")
        ax.set_ylabel("normalized score (sparse / dense)")
        ax.axhline(1.0, color="grey", lw=0.8, ls="--")
    fig.suptitle("Setting 1: data adequacy — less fine-tuning data is harder")
    return fig
