"""Registry of figures: name -> what it reads, how it is drawn, and the rows it will draw
(so figure_targets only asks for figures a study gives data). Adding a figure is a module
with ``NAME``, ``TABLE``, ``CAPTION``, ``data``, ``draw`` and ``rows`` plus one entry here
(docs/extending.md); a curve figure of the paper's shape is one ``CurveFigure`` in
pipeline/figures/paper.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from pipeline.figures import forest, lmc, measured_difficulty, safe_sparsity
from pipeline.figures.curves import CurveFigure
from pipeline.figures.paper import CURVE_FIGURES
from pipeline.study import Study


@dataclass(frozen=True)
class Figure:
    name: str
    table: str  # "normalized" | "lmc" | "verdict" (verdict.json)
    caption: str
    data: Callable[[Any, Any], Any]  # (table, Analysis) -> the frame that is drawn
    draw: Callable[[Any, Any], Any]  # (table, Analysis) -> matplotlib Figure
    # study -> the planned rows it will draw, by identity (no outcomes): none, no figure
    rows: Callable[[Study], Any]

    def planned(self, study: Study) -> bool:
        return not self.rows(study).empty


def _from_curve(spec: CurveFigure) -> Figure:
    return Figure(spec.name, spec.table, spec.caption, spec.data, spec.draw, spec.rows)


def _from_module(module: ModuleType) -> Figure:
    return Figure(module.NAME, module.TABLE, module.CAPTION, module.data, module.draw, module.rows)


FIGURES: dict[str, Figure] = {
    f.name: f
    for f in (
        *(_from_curve(spec) for spec in CURVE_FIGURES),
        _from_module(lmc),
        _from_module(safe_sparsity),
        _from_module(measured_difficulty),
        _from_module(forest),
    )
}


def planned_figures(study: Study) -> list[str]:
    """Names of the figures whose rows the study will produce."""
    return [name for name, figure in FIGURES.items() if figure.planned(study)]
