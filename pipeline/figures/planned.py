"""The rows a study's config will produce, without running it: what lets figure_targets ask
only for figures that will have data (each figure applies its own row selection to these)."""

from __future__ import annotations

from typing import Any

from pipeline import paths
from pipeline.study import cells


def planned_rows(config: dict[str, Any]) -> Any:
    """One row per planned run, in the results table's identity columns (no outcomes)."""
    import pandas as pd

    rows = []
    for cell in cells(config):
        method, level = paths.split_compression(cell.compression)
        axis, value = paths.split_difficulty(cell.difficulty)
        rows.append(
            {
                "setting": cell.setting,
                "model": cell.model,
                "task": cell.task,
                "difficulty": cell.difficulty,
                "difficulty_axis": axis,
                "difficulty_level": value,
                "compression": cell.compression,
                "method": method,
                "level": level,
                "mode": cell.mode,
                "seed": cell.seed,
                "normalized": float("nan"),
            }
        )
    return pd.DataFrame(rows)
