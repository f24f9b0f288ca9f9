"""Paper Fig. 10: loss and metric along the linear path dense -> sparse, barrier marked.

Each path (task, difficulty, compression) is one line, easier levels first; its barrier
(the largest excess over the straight line between the path's end points, pipeline/lmc.py)
is drawn as a vertical segment from that line to the mean path where the mean path is
furthest from it (paths side by side where they share an α), and written in the legend under
the panel, off the lines, as the mean over seeds of the per-seed barrier with its interval
over seeds.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pipeline.analysis.difficulty import hardness
from pipeline.analysis.lmc import PATH, barrier_summary
from pipeline.analysis.options import Analysis
from pipeline.figures import labels
from pipeline.figures.common import pyplot, require_rows, seed_lines
from pipeline.paths import split_difficulty
from pipeline.study import Study, lmc_end_points

NAME = "fig10_lmc"
TABLE = "lmc"
CAPTION = (
    "Paper Fig. 10. Linear interpolation θ(α) = (1-α)·θ_dense + α·θ_sparse between the "
    "dense fine-tuned model (α = 0) and the sparse fine-tuned model (α = 1) of the same "
    "cell, evaluated on the validation split: loss (left) and task metric (right). The "
    "vertical segment marks the barrier (largest excess of the path over the straight "
    "line between its two ends), the legend under each panel gives its value (mean over "
    "seeds, interval over seeds); bands are "
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
    from matplotlib.lines import Line2D

    plt = pyplot()
    frame = data(lmc, analysis)
    require_rows(frame, NAME)
    order = list(dict.fromkeys(frame["path"]))
    ends = ["#1f9e89", "#e69f00"] + (["#b2182b"] if len(order) > 2 else [])
    colors = dict(zip(order, sns.blend_palette(ends, len(order)), strict=True))
    names, said = path_names(frame)
    fig, axes = plt.subplots(1, 2, figsize=(7.4, 3.0))
    metric = ", ".join(sorted(frame["metric"].unique()))
    marks = barriers(frame, analysis)
    seeds = frame.groupby("path")["seed"].nunique()
    several = seeds.max() > 1
    for ax, column, label, kind in (
        (axes[0], "loss", "validation loss", "loss"),
        (axes[1], "value", f"validation {metric}", "metric"),
    ):
        seed_lines(ax, frame, "alpha", column, "path", order, colors, analysis.confidence)
        ax.set_xlabel("α  (0 = dense fine-tuned, 1 = sparse fine-tuned)")
        ax.set_ylabel(label)
        high, low = ("loss_peak", "loss_line") if kind == "loss" else ("metric_line", "metric_low")
        for i, (_, b) in enumerate(marks.iterrows()):
            # paths side by side where their barriers sit at the same α
            shift = 0.012 * (i - (len(marks) - 1) / 2)
            ax.vlines(
                b[f"{kind}_alpha"] + shift,
                b[low],
                b[high],
                colors=[colors[b["path"]]],
                lw=2,
                gid=BARRIER,
            )
    # Laid out before the legends, which then sit under the panels outside the layout.
    fig.tight_layout(w_pad=1.5)
    for ax, kind in zip(axes, ("loss", "metric"), strict=True):
        # The barrier values go in a legend under the panel, never over the lines.
        handles = [
            Line2D([], [], color=colors[b["path"]], marker="o", ms=4, label=_entry(names, b, kind))
            for _, b in marks.iterrows()
        ]
        ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.22),
            frameon=False,
            title=f"{kind} barrier" + (" (mean [CI] over seeds)" if several else ""),
        )
    fig.suptitle(
        f"Linear mode connectivity, dense ↔ sparse{' — ' + said if said else ''}\n"
        f"{len(order)} path{'s' if len(order) != 1 else ''}, {labels.seeds(seeds, 'each')}, "
        f"{frame['alpha'].nunique()} points along each",
        y=1.0,
        va="bottom",
    )
    return fig


def path_names(frame: Any) -> tuple[dict[str, str], str]:
    """Each path's name from what differs between the paths (task and level, compression),
    and what they share, said once in the title."""
    paths = frame.drop_duplicates("path").assign(setting="lmc")
    paths["where"] = paths["task"] + "/" + paths["difficulty"]
    where = labels.ranked(paths, "where")
    parts = {
        p: [where[w], labels.compression(c)]
        for p, w, c in paths[["path", "where", "compression"]].to_numpy()
    }
    varies = [len({v[i] for v in parts.values()}) > 1 for i in range(2)]
    shared = [v for v, vary in zip(next(iter(parts.values())), varies, strict=True) if not vary]
    names = {
        p: ", ".join(v for v, vary in zip(vs, varies, strict=True) if vary) or "path"
        for p, vs in parts.items()
    }
    return names, ", ".join(shared)


def _entry(names: dict[str, str], b: Any, kind: str) -> str:
    return f"{names[b['path']]}: {b[f'{kind}_text']}"


def rows(study: Study) -> Any:
    """The sparse end point of every planned path, with its setting."""
    import pandas as pd

    ends = [e for e in lmc_end_points(study.config) if e["mode"] == "sparse"]
    frame = pd.DataFrame(ends, columns=["model", "task", "difficulty", "compression", "seed"])
    frame["setting"] = [
        study.setting_of[k]
        for k in zip(frame["model"], frame["task"], frame["difficulty"], strict=True)
    ]
    return frame
