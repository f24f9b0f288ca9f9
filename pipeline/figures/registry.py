"""Registry of figures: name -> (module with data()/draw(), the table it reads)."""

from __future__ import annotations

from types import ModuleType

from pipeline.figures import data_fraction, lmc

FIGURES: dict[str, tuple[ModuleType, str]] = {
    "fig1_data_fraction": (data_fraction, "normalized"),
    "fig10_lmc": (lmc, "lmc"),
}
