"""Normalized score against compression, in panels: the shape of paper Fig. 1-9.

A ``CurveFigure`` is one figure's row selection plus its panel layout; ``data`` is exactly
what ``draw`` plots (per-seed points, dense at the origin of every curve) and ``planned``
applies the same selection to the rows a config will produce.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.analysis.curves import annotate, curves
from pipeline.analysis.options import Analysis
from pipeline.analysis.stats import seed_band
from pipeline.analysis.undefined_ratio import excluded_rows
from pipeline.figures.common import (
    axis_label,
    band_note,
    notice,
    pyplot,
    reference_line,
    require_rows,
    runs_note,
)
from pipeline.figures.planned import planned_rows
from pipeline.finetune.modes import MODES

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

    def planned(self, config: dict[str, Any]) -> bool:
        rows = planned_rows(config)
        if rows.empty:
            return False
        chosen = self.select(annotate(rows, with_hardness=False), Analysis.from_config(config))
        return not chosen.empty and chosen["mode"].nunique() >= self.min_modes

    def data(self, normalized: Any, analysis: Analysis) -> Any:
        frame = self.select(curves(normalized, self.kind), analysis).copy()
        # astype: an empty selection (every level without a ratio) has untyped columns
        frame["compressor"] = frame["method"] + " (" + frame["structure"].astype(str) + ")"
        frame["where"] = frame["setting"] + "/" + frame["task"]
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
        if column in ("difficulty", "task"):  # easy to hard, as the paper reads
            ranks = frame.groupby(column)["hardness"].first().reset_index()
            return list(ranks.sort_values(["hardness", column], na_position="last")[column])
        return sorted(frame[column].unique())

    def draw(self, normalized: Any, analysis: Analysis) -> Any:
        import seaborn as sns

        pyplot()
        frame = self.data(normalized, analysis)
        left_out = self.left_out(normalized, analysis)
        if frame.empty and left_out:
            return notice(self.title, ["Nothing to draw: every level has no ratio.", *left_out])
        require_rows(frame, self.name)
        hue_order = self._order(frame, self.hue)
        palette = "viridis_r" if self.hue in ("difficulty", "task") else "deep"
        grid = sns.relplot(
            frame,
            kind="line",
            x="x",
            y="normalized",
            hue=self.hue,
            hue_order=hue_order,
            col=self.col,
            col_order=self._order(frame, self.col),
            row=self.row,
            row_order=self._order(frame, self.row) if self.row else None,
            col_wrap=None if self.row else min(4, frame[self.col].nunique()),
            marker="o",
            errorbar=seed_band(analysis.confidence),
            palette=sns.color_palette(palette, len(hue_order)),
            height=3.0,
            aspect=1.25,
            facet_kws={"sharex": False, "sharey": False},
        )
        for key, ax in grid.axes_dict.items():
            values = key if isinstance(key, tuple) else (key,)
            names = [self.row, self.col] if self.row else [self.col]
            sub = frame
            for name, value in zip(names, values, strict=True):
                sub = sub[sub[name] == value]
            title = " · ".join(str(v) for v in values)
            ax.set_title(f"{title}\n{runs_note(sub)}" if len(sub) else title, fontsize=8)
            if len(sub):
                ax.set_xlabel(axis_label(sub, self.kind))
            if self.kind == "quantization":  # 32, 16, 8, 4, 2 bits equally spaced
                ax.set_xscale("log", base=2)
                bits = sorted(sub["x"].unique()) if len(sub) else []
                ax.set_xticks(bits, [f"{b:g}" for b in bits], minor=False)
                ax.set_xticks([], minor=True)
                ax.invert_xaxis()
            ax.set_ylabel("normalized score (÷ dense)")
            reference_line(ax, 1.0, "dense")
            reference_line(ax, analysis.tolerance, "tolerance", ":")
        grid.tight_layout()
        if left_out:
            grid.figure.text(0, 0, "\n".join(["Not drawn:", *left_out]), va="top", fontsize=7)
        grid.figure.suptitle(f"{self.title}; {band_note(frame, analysis)}", y=1.0, va="bottom")
        return grid.figure
