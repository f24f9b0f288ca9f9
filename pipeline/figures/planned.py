"""The rows a study's config will produce, without running it: what lets figure_targets ask
only for figures that will have data (each figure applies its own row selection to these)."""

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


def figure_rows(config: dict[str, Any], name: str) -> Any:
    """The rows figure ``name`` will draw, by identity (no outcomes), so that a plan can be
    checked panel by panel before any job runs: a curve figure's planned runs after its own
    selection (with ``structure``, ``x``, ``compressor`` and ``where`` as it draws them), the
    LMC figure's paths, Table 1's tasks."""
    import pandas as pd

    from pipeline.analysis.curves import annotate
    from pipeline.analysis.options import Analysis
    from pipeline.figures import lmc, measured_difficulty
    from pipeline.figures.paper import CURVE_FIGURES
    from pipeline.study import lmc_end_points

    curves = {spec.name: spec for spec in CURVE_FIGURES}
    if name in curves:
        rows = _drawn_budget(planned_rows(config))
        if rows.empty:
            return rows
        frame = curves[name].select(
            annotate(rows, with_hardness=False), Analysis.from_config(config)
        )
        frame = frame.assign(
            compressor=frame["method"] + " (" + frame["structure"] + ")",
            where=frame["setting"] + "/" + frame["task"] + "/" + frame["difficulty"],
        )
        return frame.reset_index(drop=True)
    if name == lmc.NAME:
        setting = {(c.model, c.task, c.difficulty): c.setting for c in _cells(config)}
        ends = [e for e in lmc_end_points(config) if e["mode"] == "sparse"]
        frame = pd.DataFrame(ends, columns=["model", "task", "difficulty", "compression", "seed"])
        frame["setting"] = [
            setting[k] for k in zip(frame["model"], frame["task"], frame["difficulty"], strict=True)
        ]
        return frame
    if name == measured_difficulty.NAME:
        rows = _drawn_budget(planned_rows(config))
        across = rows["difficulty_axis"] == measured_difficulty.ACROSS_TASKS
        return rows[across].reset_index(drop=True)
    allowed = [*curves, lmc.NAME, measured_difficulty.NAME]
    raise ValueError(f"figure {name!r}: no planned rows; allowed: {allowed}")


def _drawn_budget(rows: Any) -> Any:
    """The runs figures draw: the protocol's own training budget (a larger-budget arm feeds
    claim (c) only; pipeline/analysis/curves.py)."""
    return rows[rows["budget"] == paths.BASE_BUDGET] if len(rows) else rows


def _cells(config: dict[str, Any]) -> Any:
    from pipeline.study import cells

    return cells(config)
