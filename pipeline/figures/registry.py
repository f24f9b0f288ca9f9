"""Registry of figures: name -> what it reads, how it is drawn, and whether a config plans
the rows it needs (so figure_targets only asks for figures that will have data)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from pipeline.figures import forest, lmc, measured_difficulty, safe_sparsity
from pipeline.figures.curves import CurveFigure
from pipeline.figures.paper import CURVE_FIGURES


@dataclass(frozen=True)
class Figure:
    name: str
    table: str  # "normalized" | "lmc" | "verdict" (verdict.json)
    caption: str
    data: Callable[[Any, Any], Any]  # (table, Analysis) -> the frame that is drawn
    draw: Callable[[Any, Any], Any]  # (table, Analysis) -> matplotlib Figure
    planned: Callable[[dict[str, Any]], bool]


def _from_curve(spec: CurveFigure) -> Figure:
    return Figure(spec.name, spec.table, spec.caption, spec.data, spec.draw, spec.planned)


def _from_module(module: ModuleType) -> Figure:
    return Figure(
        module.NAME, module.TABLE, module.CAPTION, module.data, module.draw, module.planned
    )


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


def planned_figures(config: dict[str, Any]) -> list[str]:
    """Names of the figures whose rows the config will produce."""
    return [name for name, figure in FIGURES.items() if figure.planned(config)]
