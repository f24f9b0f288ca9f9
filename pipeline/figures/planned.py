"""The rows a study's config will produce, without running it: what lets figure_targets ask
only for figures that will have data (each figure's ``rows`` applies its own selection to
these: pipeline/figures/registry.py)."""

from __future__ import annotations

from typing import Any

from pipeline import paths
from pipeline.instances import split
from pipeline.study import cells


def planned_rows(config: dict[str, Any]) -> Any:
    """One row per planned run, in the results table's identity columns (no outcomes)."""
    import pandas as pd

    rows = []
    for cell in cells(config):
        method, level = paths.split_compression(cell.compression)
        axis, value = paths.split_difficulty(cell.difficulty)
        model, pretrain_seed = split(cell.model)  # as pipeline/load.py splits a record's
        rows.append(
            {
                "setting": cell.setting,
                "model": model,
                "pretrain_seed": pretrain_seed,
                "task": cell.task,
                "difficulty": cell.difficulty,
                "difficulty_axis": axis,
                "difficulty_level": value,
                "compression": cell.compression,
                "method": method,
                "level": level,
                "mode": cell.mode,
                "seed": cell.seed,
                "budget": cell.budget,
                "normalized": float("nan"),
            }
        )
    return pd.DataFrame(rows)


def drawn_budget(rows: Any) -> Any:
    """The runs figures draw: the protocol's own training budget (a larger-budget arm feeds
    claim (c) only; pipeline/analysis/curves.py)."""
    return rows[rows["budget"] == paths.BASE_BUDGET] if len(rows) else rows
