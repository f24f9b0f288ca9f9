"""Normalized score against compression, in panels: the shape of paper Fig. 1-9.

A ``CurveFigure`` is one figure's row selection plus its panel layout; ``data`` is exactly
what ``draw`` plots (per-seed points, dense at the origin of every curve) and ``rows``
applies the same selection to the rows a study will produce.

Drawn for a page about 7 in wide: a facet with one value goes to the title and the panels
wrap into rows; every panel shares one y range (the panels are compared); N:M panels name
their patterns on the x axis; names come from the registries (pipeline/figures/labels.py)
and the easiest and hardest level are marked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.analysis.curves import annotate, curves
from pipeline.analysis.difficulty import ACROSS_TASKS
from pipeline.analysis.options import Analysis
from pipeline.analysis.undefined_ratio import excluded_rows
from pipeline.figures import labels
from pipeline.figures.common import (
    axis_label,
    band_note,
    notice,
    pyplot,
    reference_line,
    require_rows,
    runs_note,
    seed_lines,
)
from pipeline.figures.planned import drawn_budget, planned_rows
from pipeline.finetune.modes import MODES
from pipeline.study import Study

NM4 = "N:M, M=4"
# The paper shows N:M with M=4 again on its own (its appendix A, Fig. 7-9).
STRUCTURES = {
    "nm4": lambda s: s == NM4,
    "unstructured": lambda s: s == "unstructured",
    "nm": lambda s: s.astype(str).str.startswith("N:M"),
    "any": lambda s: s.notna(),
}


@dataclass(frozen=True)
class CurveFigure:
    name: str
    title: str
    caption: str
    setting: str | None  # None: every setting
    col: str  # a column of data(): "task", "compressor", "difficulty", "mode", "where"
    hue: str
    row: str | None = None
    kind: str = "pruning"  # or "quantization"
    modes: tuple[str, ...] | None = ("sparse",)  # None: every mode
    structures: str = "any"  # one of STRUCTURES
    hypothesis_methods: bool = False  # only analysis.methods (the transfer-mode figures)
    min_modes: int = 1  # the transfer-mode figures need at least two modes to compare
    table: str = "normalized"

    def select(self, frame: Any, analysis: Analysis) -> Any:
        keep = (frame["kind"] == self.kind) & STRUCTURES[self.structures](frame["structure"])
        if self.setting is not None:
            keep &= frame["setting"] == self.setting
        if self.modes is not None:
            keep &= frame["mode"].isin(self.modes)
        if self.hypothesis_methods:
            keep &= frame["method"].isin(analysis.methods)
        return frame[keep]

    def rows(self, study: Study) -> Any:
        """The planned runs this figure will draw, by identity (no outcomes), with
        ``structure``, ``x``, ``compressor`` and ``where`` as it draws them; none if it
        compares modes and fewer than ``min_modes`` are planned."""
        rows = drawn_budget(planned_rows(study))
        if rows.empty:
            return rows
        analysis = Analysis.from_config(study.config)  # the analysis block: no Study field yet
        frame = self.select(annotate(rows, with_hardness=False), analysis)
        frame = frame.assign(
            compressor=frame["method"] + " (" + frame["structure"] + ")",
            where=frame["setting"] + "/" + frame["task"] + "/" + frame["difficulty"],
        ).reset_index(drop=True)
        return frame if frame["mode"].nunique() >= self.min_modes else frame.iloc[:0]

    def data(self, normalized: Any, analysis: Analysis) -> Any:
        frame = self.select(curves(normalized, self.kind), analysis).copy()
        # astype: an empty selection (every level without a ratio) has untyped columns
        frame["compressor"] = frame["method"] + " (" + frame["structure"].astype(str) + ")"
        frame["where"] = frame["setting"] + "/" + frame["task"] + "/" + frame["difficulty"]
        return frame.reset_index(drop=True)

    def left_out(self, normalized: Any, analysis: Analysis) -> list[str]:
        """The levels of this figure's selection whose ratio to dense is undefined
        (pipeline/analysis/undefined_ratio.py), one line each with the reason."""
        rows = excluded_rows(normalized)
        if rows.empty:
            return []
        chosen = self.select(annotate(rows, with_hardness=False), analysis)
        keys = ["setting", "model", "task", "difficulty", "mode", "excluded"]
        return [
            f"{s}/{m}/{t}/{d} ({mode}): {why}"
            for s, m, t, d, mode, why in chosen[keys].drop_duplicates().itertuples(index=False)
        ]

    def _order(self, frame: Any, column: str) -> list[str]:
        if column == "mode":  # the registry's order; a mode it lacks still gets a colour
            present = set(frame["mode"])
            return [m for m in MODES if m in present] + sorted(present - set(MODES))
        if column in ("difficulty", "task", "where"):  # easy to hard, as the paper reads
            ranks = frame.groupby(column)[["setting", "hardness"]].first().reset_index()
            by = ["setting", "hardness", column]
            return list(ranks.sort_values(by, na_position="last")[column])
        return sorted(frame[column].unique())

    def draw(self, normalized: Any, analysis: Analysis) -> Any:
        import seaborn as sns
        from matplotlib.lines import Line2D

        plt = pyplot()
        frame = self.data(normalized, analysis)
        left_out = self.left_out(normalized, analysis)
        if frame.empty and left_out:
            return notice(self.title, ["Nothing to draw: every level has no ratio.", *left_out])
        require_rows(frame, self.name)
        facets = [c for c in (self.row, self.col) if c]
        orders = {c: self._order(frame, c) for c in facets}
        # A facet with one value is said once, in the title, not in every panel.
        varying = [c for c in facets if len(orders[c]) > 1]
        fixed = [c for c in facets if len(orders[c]) == 1]
        keys = list(frame[facets].drop_duplicates().itertuples(index=False, name=None))
        rank = [{v: i for i, v in enumerate(orders[c])} for c in facets]
        keys.sort(key=lambda k: [r[v] for r, v in zip(rank, k, strict=True)])
        if len(varying) == 2:  # a true grid: rows x columns
            nrows, ncols = len(orders[self.row]), len(orders[self.col])
            slots = [rank[0][k[0]] * ncols + rank[1][k[1]] for k in keys]
        else:  # one list of panels, wrapped so the page fills
            ncols = min(len(keys), 4 if len(keys) % 3 else 3)
            nrows = -(-len(keys) // ncols)
            slots = list(range(len(keys)))
        width = 3.4 if ncols == 1 else min(2.5, 7.4 / ncols)
        fig, axes = plt.subplots(
            nrows, ncols, figsize=(width * ncols, 2.1 * nrows + 0.4), sharey=True, squeeze=False
        )
        hue_order = self._order(frame, self.hue)
        names = self._names(frame, self.hue)
        if self.hue in ("difficulty", "task", "where"):  # easy teal ... hard orange, red
            ends = ["#1f9e89", "#e69f00"] + (["#b2182b"] if len(hue_order) > 2 else [])
            palette = sns.blend_palette(ends, len(hue_order))
        else:
            palette = sns.color_palette("deep", len(hue_order))
        colors = dict(zip(hue_order, palette, strict=True))
        used = set()
        for key, slot in zip(keys, slots, strict=True):
            ax = axes.flat[slot]
            used.add(slot)
            sub = frame
            for name, value in zip(facets, key, strict=True):
                sub = sub[sub[name] == value]
            self._panel(ax, sub, colors, analysis)
            ax.set_gid("|".join(map(str, key)))  # the panel's identity, for tests
            title = " · ".join(
                self._names(frame, c)[v] for c, v in zip(facets, key, strict=True) if c in varying
            )
            note = runs_note(sub)
            ax.set_title(f"{title}\n{note}" if title else note)
            if slot % ncols:
                ax.set_ylabel("")
        for slot in set(range(nrows * ncols)) - used:
            fig.delaxes(axes.flat[slot])
        handles = [
            Line2D([], [], color=colors[h], marker="o", ms=4, label=names[h]) for h in hue_order
        ] + [
            Line2D([], [], color="grey", lw=0.8, ls="--", label="dense (= 1)"),
            Line2D(
                [], [], color="grey", lw=0.8, ls=":", label=f"tolerance ({analysis.tolerance:g})"
            ),
        ]
        fig.tight_layout(h_pad=1.2, w_pad=0.8)
        across = (frame["difficulty_axis"] == ACROSS_TASKS).all()
        legend = fig.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            ncol=2 if ncols == 1 else min(len(handles), 3 if len(handles) > 4 else 4),
            title=HUE_TITLES["task" if across and self.hue == "where" else self.hue],
            frameon=False,
        )
        said = ", ".join(self._names(frame, c)[orders[c][0]] for c in fixed)
        fig.suptitle(
            f"{self.title}{' — ' + said if said else ''}\n{band_note(frame, analysis)}",
            y=1.0,
            va="bottom",
        )
        if left_out:  # under the legend
            box = legend.get_window_extent(fig.canvas.get_renderer())
            below = box.transformed(fig.transFigure.inverted()).y0 - 0.02
            fig.text(0, below, "\n".join(["Not drawn:", *left_out]), va="top", fontsize=6)
        return fig

    def _panel(self, ax: Any, sub: Any, colors: dict[str, Any], analysis: Analysis) -> None:
        order = [h for h in colors if h in set(sub[self.hue])]
        seed_lines(ax, sub, "x", "normalized", self.hue, order, colors, analysis.confidence)
        ax.set_ylabel("normalized score (÷ dense)")
        reference_line(ax, 1.0, "dense")
        reference_line(ax, analysis.tolerance, "tolerance", ":")
        if self.kind == "quantization":  # 32, 16, 8, 4, 2 bits equally spaced
            ax.set_xscale("log", base=2)
            bits = sorted(sub["x"].unique())
            ax.set_xticks(bits, [f"{b:g}" for b in bits], minor=False)
            ax.set_xticks([], minor=True)
            ax.invert_xaxis()
            ax.set_xlabel(axis_label(sub, self.kind))
            return
        compressed = sub[~sub["is_dense"]]
        if compressed["structure"].astype(str).str.startswith("N:M").all():
            # N:M is a pattern, not a free sparsity: ticks name the patterns, placed at the
            # sparsity each one means (2:4 at 0.5), dense at 0.
            ticks = {0.0: {"dense"}}
            for x, level in compressed[["x", "level"]].drop_duplicates().itertuples(index=False):
                ticks.setdefault(float(x), set()).add(labels.pattern(level))
            xs = sorted(ticks)
            crowded = len(xs) > 4
            ax.set_xticks(
                xs,
                [" / ".join(sorted(ticks[x])) for x in xs],
                rotation=60 if crowded else 0,
                ha="right" if crowded else "center",
                rotation_mode="anchor",
            )
            ax.set_xticks([], minor=True)
            ax.set_xlabel("N:M pattern (N kept of M)")
        else:
            ax.set_xlabel(axis_label(sub, self.kind))

    def _names(self, frame: Any, column: str) -> dict[str, str]:
        """What the figure prints for each value of ``column``: registry labels, with the
        easiest and hardest level of each setting marked, and across tasks the measured gap
        to the reference score that ranks them."""
        values = frame.drop_duplicates(column)
        if column == "mode":
            return {m: labels.mode(m) for m in values["mode"]}
        if column == "compressor":
            return {
                c: labels.compressor(m, s)
                for c, m, s in values[["compressor", "method", "structure"]].itertuples(index=False)
            }
        if column == "setting":
            return {s: labels.setting(s) for s in values["setting"]}
        if column not in ("task", "difficulty", "where"):
            return {v: str(v) for v in values[column]}
        return labels.ranked(frame, column)


HUE_TITLES = {
    "difficulty": "difficulty level (easy → hard)",
    "task": "task (easy → hard: gap between the reference and the dense score)",
    "where": "task and level (easy → hard)",
    "mode": "transfer mode",
}
