"""The rows a study will produce, without running it: what lets figure_targets ask only for
figures that will have data (each figure's ``rows`` applies its own selection to these:
pipeline/figures/registry.py)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pipeline import paths
from pipeline.instances import split
from pipeline.study import Study


def planned_rows(study: Study) -> Any:
    """One row per planned run, in the results table's identity columns (no outcomes); a
    copy, so a caller's edit never reaches the next figure's rows."""
    return _planned_rows(study).copy()


# Built once per study: every figure selects from these rows (a Study hashes by identity,
# and the cache holds the studies it keys on, so no other study can take one's place).
@lru_cache(maxsize=8)
def _planned_rows(study: Study) -> Any:
    import pandas as pd

    rows = []
    for cell in study.cells:
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
