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
from pipeline.study import SETTINGS, Study

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


# Width units of one row of panels: a panel takes as many as it has levels (at least 2).
ROW_UNITS = 12


def panels(frame: Any) -> list[tuple[str, Any]]:
    """(identity, rows) of each panel: the levels of one task within a setting, or the
    tasks themselves across tasks (whose levels are the tasks)."""
    out = []
    for setting, rows in frame.groupby("setting", sort=False):
        if rows["difficulty"].str.split("-").str[0].eq(ACROSS).all():
            out.append((setting, rows))
        else:
            out += [(f"{setting}|{t}", r) for t, r in rows.groupby("task", sort=False)]
    return out


def draw(normalized: Any, analysis: Analysis) -> Any:
    import seaborn as sns
    from matplotlib.lines import Line2D

    plt = pyplot()
    frame = data(normalized, analysis)
    require_rows(frame, NAME)
    chosen = panels(frame)
    units = [max(rows["where"].nunique(), 2) for _, rows in chosen]
    lines: list[list[int]] = [[]]  # panels packed into rows of at most ROW_UNITS
    for i, u in enumerate(units):
        if lines[-1] and sum(units[j] for j in lines[-1]) + u > ROW_UNITS:
            lines.append([])
        lines[-1].append(i)
    wide = max(sum(units[j] for j in line) for line in lines)
    # Margins in inches: panels 1.5 in tall, 1.4 in between rows for ticks, labels, titles.
    width, height = min(7.4, 1.8 + 0.62 * wide), 2.9 * len(lines) + 0.05
    outer = plt.figure(figsize=(width, height)).add_gridspec(
        len(lines),
        1,
        hspace=0.93,
        left=0.65 / width,
        right=1 - 0.05 / width,
        bottom=0.95 / height,
        top=1 - 0.5 / height,
    )
    fig = outer.figure
    compressors = list(dict.fromkeys(sorted(frame["compressor"])))
    colors = dict(zip(compressors, sns.color_palette("deep", len(compressors)), strict=True))
    names = {
        c: labels.compressor(m, st)
        for c, m, st in frame[["compressor", "method", "structure"]].drop_duplicates().to_numpy()
    }
    for r, line in enumerate(lines):
        used = [units[j] for j in line]
        spare = [wide - sum(used)] if sum(used) < wide else []
        row = outer[r].subgridspec(
            1, len(used) + len(spare), width_ratios=used + spare, wspace=0.12
        )
        for c, j in enumerate(line):
            ax = fig.add_subplot(row[0, c])
            _panel(ax, *chosen[j], colors, analysis, first=c == 0)
    handles = [
        Line2D([], [], color=colors[c], marker="o", ms=4, lw=1, label=names[c]) for c in compressors
    ] + [Line2D([], [], color="grey", lw=0.8, ls=":", label="highest sparsity tested")]
    fig.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=min(len(handles), 3),
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


def _panel(
    ax: Any, key: str, sub: Any, colors: dict[str, Any], analysis: Analysis, first: bool
) -> None:
    ax.set_gid(key)  # the panel's identity, for tests
    setting, _, task = key.partition("|")
    levels = list(dict.fromkeys(sub["where"]))  # already easy -> hard
    position = {level: i for i, level in enumerate(levels)}
    shown = [c for c in colors if c in set(sub["compressor"])]
    for k, compressor in enumerate(shown):
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
    # Within a task its levels are named on the axis, across tasks the tasks; easiest and
    # hardest marked within the panel.
    place = labels.ranked_parts(sub, "where")
    ticks = [
        "\n".join(
            [
                _wrap(labels.level(d) if task else place[w][0], 8 if task else 11),
                *place[w][1],
            ]
        )
        for w, d in sub.drop_duplicates("where")[["where", "difficulty"]].to_numpy()
    ]
    ax.set_xticks(range(len(levels)), ticks)
    ax.set_xlim(-0.5, len(levels) - 0.5)
    ax.set_xlabel("easy → hard")
    ax.set_ylim(-0.03, 1.0)  # one range for every panel: they are compared
    if first:
        ax.set_ylabel(f"safe sparsity\n(score ≥ {analysis.tolerance:g} × dense)")
    else:
        ax.tick_params(labelleft=False)
    ax.set_title(
        f"{labels.setting(setting)}{': ' + labels.task(task) if task else ''}\n"
        f"{labels.seeds(sub['n_seeds'], 'per point')}"
    )


def _wrap(text: str, width: int) -> str:
    return textwrap.fill(text, width, break_long_words=False)


def rows(study: Study) -> Any:
    """The planned sparse-transfer pruning runs (whose curves the safe sparsity reads)."""
    planned = planned_rows(study)
    if planned.empty:
        return planned
    planned = annotate(planned, with_hardness=False)
    return planned[(planned["kind"] == "pruning") & (planned["mode"] == "sparse")]
