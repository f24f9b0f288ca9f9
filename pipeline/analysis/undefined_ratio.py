"""Levels whose ratio to dense is undefined: excluded from the claims and listed, never
divided by zero or dropped unseen.

The paper's normalized score is compressed / dense. Where a dense run scores exactly 0 (an
untrained model's BLEU or exact match, a degenerate level) that ratio is undefined, and a
mean over seeds with one such seed would be too. So the whole level (setting, model, task,
difficulty, regime) leaves everything built on the ratio: its rows stay in
``normalized.parquet`` with the reason in ``excluded`` (the undefined ratios null), curves,
figures, summary and safe-sparsity tables skip them, and the verdict lists the level with
its reason next to the headroom exclusions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pipeline.analysis.resample import GATE_KEYS, regime

EXCLUDED = "excluded"  # column of normalized.parquet: why a level left the claims, else null


def mark_undefined(normalized: Any) -> Any:
    """``normalized`` with ``excluded`` set on every row of a level whose dense score is 0
    on some seed (naming those seeds), and ``normalized`` null where its own dense run
    scored 0 (the dense row included: 0 / 0 is not 1)."""
    frame = normalized.assign(**{EXCLUDED: None}).astype({EXCLUDED: object})
    zero = frame["value_dense"].to_numpy(dtype=float) == 0
    if not zero.any():
        return frame
    frame.loc[zero, "normalized"] = np.nan
    frame.loc[zero, "normalized_chance"] = np.nan
    keyed = frame.assign(regime=regime(frame))
    seeds = keyed[zero].groupby(GATE_KEYS)["seed"].unique()
    reasons = {
        level: "dense score 0 (seed "
        + ", ".join(str(s) for s in sorted(found))
        + "): the ratio to dense is undefined"
        for level, found in seeds.items()
    }
    levels = list(keyed[GATE_KEYS].itertuples(index=False, name=None))
    frame[EXCLUDED] = [reasons.get(level) for level in levels]
    return frame


def defined(normalized: Any) -> Any:
    """The rows whose level is not excluded (all rows of a table without the column)."""
    if EXCLUDED not in normalized.columns:
        return normalized
    return normalized[normalized[EXCLUDED].isna()]


def excluded_rows(normalized: Any) -> Any:
    """The rows of excluded levels (none for a table without the column)."""
    if EXCLUDED not in normalized.columns:
        return normalized.iloc[:0]
    return normalized[normalized[EXCLUDED].notna()]


def excluded_levels(normalized: Any) -> list[dict[str, Any]]:
    """One record per excluded level: its keys, the reason, how many rows it holds."""
    rows = excluded_rows(normalized)
    if rows.empty:
        return []
    keyed = rows.assign(regime=regime(rows))
    grouped = keyed.groupby(GATE_KEYS + [EXCLUDED]).size().reset_index(name="n_rows")
    return [
        {**{k: row[k] for k in GATE_KEYS}, "reason": row[EXCLUDED], "n_rows": int(row["n_rows"])}
        for _, row in grouped.iterrows()
    ]
