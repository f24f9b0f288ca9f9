"""Parquet schemas of the study's tables (documented column by column in docs/schema.md).

Every table is written through ``conform``, so a column's type never depends on which runs
happened to be collected (a seed read from a path wildcard is still an int64, a missing
loss is still a float64 null). Columns outside the schema are kept after the fixed ones:
``metric_<name>`` columns as float64, anything else with the type pyarrow infers.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

RUN_IDENTITY = [
    pa.field("study", pa.string(), nullable=False),
    pa.field("setting", pa.string(), nullable=False),
    pa.field("model", pa.string(), nullable=False),
    pa.field("task", pa.string(), nullable=False),
    pa.field("difficulty", pa.string(), nullable=False),
    pa.field("difficulty_axis", pa.string()),
    pa.field("difficulty_level", pa.string()),
    pa.field("compression", pa.string(), nullable=False),
    pa.field("method", pa.string(), nullable=False),
    pa.field("level", pa.string(), nullable=False),
    pa.field("mode", pa.string(), nullable=False),
    pa.field("seed", pa.int64(), nullable=False),
    # x the protocol's optimizer steps (or epochs): 1.0 for every run but a setting's
    # larger-budget arm (``budgets``); each budget has its own dense run. Null reads as 1.0.
    pa.field("budget", pa.float64()),
    pa.field("pretrain_seed", pa.int64()),  # null: pre-training not replicated (a hub model)
    pa.field("protocol_hash", pa.string(), nullable=False),
]
_RUN_OUTCOME = [
    pa.field("metric", pa.string(), nullable=False),
    pa.field("value", pa.float64(), nullable=False),
    pa.field("chance", pa.float64()),
    pa.field("loss", pa.float64()),
    pa.field("n_eval", pa.int64()),
    pa.field("achieved_sparsity", pa.float64()),
    pa.field("denominator_numel", pa.int64()),
    pa.field("zeroed_fraction", pa.float64()),  # quantized runs: weights rounded to zero
    pa.field("wall_time_s", pa.float64()),
    pa.field("reference_score", pa.float64()),
    pa.field("scorer_signature", pa.string()),
    pa.field("protocol_json", pa.string()),
    pa.field("metrics_json", pa.string()),
    pa.field("training_json", pa.string()),
    pa.field("versions_json", pa.string()),
]

RESULTS = pa.schema(RUN_IDENTITY + _RUN_OUTCOME)
"""One row per fine-tuning (or zero-shot) run: ``tables/results.parquet``."""

NORMALIZED = pa.schema(
    RUN_IDENTITY
    + _RUN_OUTCOME
    + [
        pa.field("value_dense", pa.float64(), nullable=False),
        pa.field("protocol_hash_dense", pa.string()),
        pa.field("normalized", pa.float64()),  # null where the dense score is 0
        pa.field("normalized_chance", pa.float64()),
        pa.field("excluded", pa.string()),  # why the level left the claims (undefined ratio)
    ]
)
"""RESULTS plus the dense run's metric and both normalizations (ratio, chance-corrected):
``tables/normalized.parquet``."""

LMC = pa.schema(
    [
        pa.field("model", pa.string(), nullable=False),
        pa.field("task", pa.string(), nullable=False),
        pa.field("difficulty", pa.string(), nullable=False),
        pa.field("compression", pa.string(), nullable=False),
        pa.field("seed", pa.int64(), nullable=False),
        pa.field("alpha", pa.float64(), nullable=False),
        pa.field("loss", pa.float64(), nullable=False),
        pa.field("metric", pa.string(), nullable=False),
        pa.field("value", pa.float64(), nullable=False),
        pa.field("loss_barrier", pa.float64(), nullable=False),
        pa.field("metric_barrier", pa.float64(), nullable=False),
    ]
)
"""One row per point α of one dense ↔ sparse interpolation path: ``tables/lmc.parquet``."""

SAFE_SPARSITY = pa.schema(
    [
        pa.field("setting", pa.string(), nullable=False),
        pa.field("model", pa.string(), nullable=False),
        pa.field("task", pa.string(), nullable=False),
        pa.field("difficulty", pa.string(), nullable=False),
        pa.field("hardness", pa.float64()),
        pa.field("method", pa.string(), nullable=False),
        pa.field("structure", pa.string(), nullable=False),
        pa.field("mode", pa.string(), nullable=False),
        pa.field("tolerance", pa.float64(), nullable=False),
        pa.field("safe_sparsity", pa.float64(), nullable=False),
        pa.field("ci_low", pa.float64()),
        pa.field("ci_high", pa.float64()),
        pa.field("n_seeds", pa.int64(), nullable=False),
        pa.field("max_tested", pa.float64(), nullable=False),
    ]
)
"""Highest sparsity within tolerance of dense per task and method: ``tables/safe_sparsity.*``."""

SUMMARY = pa.schema(
    [
        pa.field("setting", pa.string(), nullable=False),
        pa.field("model", pa.string(), nullable=False),
        pa.field("task", pa.string(), nullable=False),
        pa.field("difficulty", pa.string(), nullable=False),
        pa.field("method", pa.string(), nullable=False),
        pa.field("structure", pa.string(), nullable=False),
        pa.field("mode", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("x", pa.float64(), nullable=False),
        pa.field("hardness", pa.float64()),
        pa.field("metric", pa.string(), nullable=False),
        pa.field("normalized", pa.float64(), nullable=False),
        pa.field("normalized_ci_low", pa.float64()),
        pa.field("normalized_ci_high", pa.float64()),
        pa.field("value", pa.float64(), nullable=False),
        pa.field("value_ci_low", pa.float64()),
        pa.field("value_ci_high", pa.float64()),
        pa.field("n_seeds", pa.int64(), nullable=False),
    ]
)
"""Every curve point as a mean over seeds with its interval: ``tables/summary.*``."""

SCHEMAS: dict[str, pa.Schema] = {
    "results": RESULTS,
    "normalized": NORMALIZED,
    "lmc": LMC,
    "safe_sparsity": SAFE_SPARSITY,
    "summary": SUMMARY,
}


def kind_of(columns: Any) -> str:
    """Which table a frame is, from its columns: LMC paths have α, normalized rows a ratio."""
    columns = set(columns)
    if "alpha" in columns:
        return "lmc"
    if "safe_sparsity" in columns:
        return "safe_sparsity"
    if "normalized_ci_low" in columns:
        return "summary"
    return "normalized" if "normalized" in columns else "results"


def conform(frame: Any, kind: str) -> pa.Table:
    """The frame as a pyarrow table with the fixed types of ``SCHEMAS[kind]``.

    Raises ValueError naming the table and the column when a required column is missing or
    a value cannot take its column's type.
    """
    if kind not in SCHEMAS:
        raise ValueError(f"unknown table kind {kind!r}; allowed: {sorted(SCHEMAS)}")
    schema = SCHEMAS[kind]
    missing = [f.name for f in schema if not f.nullable and f.name not in frame.columns]
    if missing:
        raise ValueError(
            f"{kind} table: required columns {missing} are missing (has {sorted(frame.columns)})"
        )
    extra = [c for c in frame.columns if c not in schema.names]
    columns = [(f.name, f.type, f) for f in schema] + [
        (name, pa.float64() if name.startswith("metric_") else None, None) for name in extra
    ]
    fields, arrays = [], []
    for name, typ, field in columns:
        if name not in frame.columns:
            array = pa.nulls(len(frame), typ)
        else:
            try:
                array = pa.array(frame[name], from_pandas=True)
                if typ is not None and array.type != typ:
                    array = array.cast(typ)
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as err:
                raise ValueError(f"{kind} table: column {name!r} cannot be {typ}: {err}") from err
        if field is not None and not field.nullable and array.null_count:
            raise ValueError(f"{kind} table: column {name!r} has {array.null_count} nulls")
        fields.append(field or pa.field(name, array.type))
        arrays.append(array)
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))
