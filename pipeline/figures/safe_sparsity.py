"""Safe sparsity against task difficulty: how far each task can be pruned (sparse transfer)
before its normalized score leaves the tolerance of dense, easy levels on the left."""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np

from pipeline.analysis.curves import annotate
from pipeline.analysis.difficulty import ACROSS_TASKS as ACROSS
from pipeline.analysis.options import Analysis
from pipeline.analysis.safe_sparsity import safe_sparsity
from pipeline.figures import labels
from pipeline.figures.common import pyplot, require_rows
from pipeline.figures.planned import planned_rows
from pipeline.study import SETTINGS

NAME = "safe_sparsity"
TABLE = "normalized"
CAPTION = (
    "Safe sparsity per task: the highest tested sparsity up to which every tested "
    "sparsity keeps the normalized score within the tolerance of dense (sparse "
    "transfer), mean over seeds with its t confidence interval, against the "
    "difficulty levels of each setting ordered from easy to hard (across tasks: the tasks, "
    "by their measured gap to the reference score), pruning methods side by side at each "
    "level. The dotted line is "
    "the highest sparsity tested: a point on it may be safe beyond what was tried."
)


def data(normalized: Any, analysis: Analysis) -> Any:
    table = safe_sparsity(normalized, analysis)
    table = table[table["mode"] == "sparse"].copy()
    table["compressor"] = table["method"] + " (" + table["structure"] + ")"
    table["where"] = table["setting"] + "/" + table["task"] + "/" + table["difficulty"]
    order = {name: i for i, name in enumerate(SETTINGS)}  # the paper's order of settings
    table["setting_rank"] = table["setting"].map(order)
    return (
        table.sort_values(
            ["setting_rank", "setting", "hardness", "where", "compressor"], na_position="last"
        )
        .drop(columns="setting_rank")
        .reset_index(drop=True)
    )


def draw(normalized: Any, analysis: Analysis) -> Any:
    import seaborn as sns
    from matplotlib.lines import Line2D

    plt = pyplot()
    frame = data(normalized, analysis)
    require_rows(frame, NAME)
    settings = list(dict.fromkeys(frame["setting"]))
    points = [frame[frame["setting"] == s]["where"].nunique() for s in settings]
    ncols = min(len(settings), 3)
    nrows = -(-len(settings) // ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(7.4 if ncols > 1 else 3.6, 2.6 * nrows + 0.3),
        sharey=True,
        squeeze=False,
        # a panel as wide as its levels need; wrapped rows share the first row's widths
        gridspec_kw={"width_ratios": [max(n, 2) for n in points[:ncols]]},
    )
    compressors = list(dict.fromkeys(sorted(frame["compressor"])))
    colors = dict(zip(compressors, sns.color_palette("deep", len(compressors)), strict=True))
    names = {
        c: labels.compressor(m, st)
        for c, m, st in frame[["compressor", "method", "structure"]].drop_duplicates().to_numpy()
    }
    place = labels.ranked_parts(frame, "where")
    for slot, (ax, setting) in enumerate(zip(axes.flat, settings, strict=False)):
        sub = frame[frame["setting"] == setting]
        ax.set_gid(setting)  # the panel's identity, for tests
        levels = list(dict.fromkeys(sub["where"]))  # already easy -> hard
        position = {level: i for i, level in enumerate(levels)}
        shown = sub["compressor"].unique()
        for k, compressor in enumerate(c for c in compressors if c in shown):
            s = sub[sub["compressor"] == compressor]
            # series side by side at each level, so that their intervals do not overlap
            shift = 0.12 * (k - (len(shown) - 1) / 2)
            x = np.array([position[w] for w in s["where"]], dtype=float) + shift
            y = s["safe_sparsity"].to_numpy()
            err = np.abs(np.vstack([y - s["ci_low"].to_numpy(), s["ci_high"].to_numpy() - y]))
            ax.errorbar(
                x,
                y,
                yerr=np.nan_to_num(err),
                marker="o",
                ms=4,
                lw=1,
                capsize=2,
                label=compressor,
                color=colors[compressor],
            )
        ax.axhline(sub["max_tested"].max(), color="grey", lw=0.8, ls=":")
        # One task: its name in the title, its levels on the axis (else the tasks are the
        # levels, named on the axis).
        tasks = sub["task"].unique()
        one_task = len(tasks) == 1 and sub["difficulty"].str.split("-").str[0].ne(ACROSS).all()
        ticks = [
            "\n".join(
                [textwrap.fill(labels.level(d) if one_task else place[w][0], 12), *place[w][1]]
            )
            for w, d in sub.drop_duplicates("where")[["where", "difficulty"]].to_numpy()
        ]
        ax.set_xticks(range(len(levels)), ticks)
        ax.set_xlim(-0.5, len(levels) - 0.5)
        ax.set_xlabel("easy → hard")
        if slot % ncols == 0:
            ax.set_ylabel(f"safe sparsity\n(score ≥ {analysis.tolerance:g} × dense)")
        ax.set_ylim(-0.03, 1.0)
        ax.set_title(
            f"{labels.setting(setting)}{': ' + labels.task(tasks[0]) if one_task else ''}\n"
            f"{labels.seeds(sub['n_seeds'], 'per point')}"
        )
    for ax in list(axes.flat)[len(settings) :]:
        fig.delaxes(ax)
    handles = [
        Line2D([], [], color=colors[c], marker="o", ms=4, lw=1, label=names[c]) for c in compressors
    ] + [Line2D([], [], color="grey", lw=0.8, ls=":", label="highest sparsity tested")]
    fig.tight_layout(w_pad=0.8)
    fig.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=min(len(handles), 4),
        title="pruning method",
        frameon=False,
    )
    fig.suptitle(
        f"How far can each task be pruned? (sparse transfer; {analysis.confidence:.0%} CI "
        "over seeds)",
        y=1.0,
        va="bottom",
    )
    return fig


def planned(config: dict[str, Any]) -> bool:
    rows = planned_rows(config)
    if rows.empty:
        return False
    rows = annotate(rows, with_hardness=False)
    return bool(((rows["kind"] == "pruning") & (rows["mode"] == "sparse")).any())
