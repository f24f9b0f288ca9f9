"""Gather one-row JSON records into Parquet, and normalize compressed runs by dense ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from pipeline import load
from pipeline.analysis.undefined_ratio import mark_undefined
from pipeline.finetune.protocol import protocol_diff
from pipeline.io import atomic_path

# Nested record fields stored as JSON text columns (Parquet stays flat and schema-stable).
JSON_COLUMNS = ("protocol", "metrics", "training", "versions")
CELL_KEYS = ["study", "setting", "model", "task", "difficulty", "seed"]


def flatten(record: dict[str, Any]) -> dict[str, Any]:
    row = {k: v for k, v in record.items() if k not in JSON_COLUMNS}
    for key in JSON_COLUMNS:
        if key in record:
            row[f"{key}_json"] = json.dumps(record[key], sort_keys=True)
    for name, value in record.get("metrics", {}).items():
        row[f"metric_{name}"] = value
    return row


def collect(paths: list[str | Path]) -> list[dict[str, Any]]:
    """Rows from record files; a file holding ``{"rows": [...]}`` contributes each row."""
    rows = []
    for path in paths:
        data = load.record(path)  # checked against its table's schema, naming the file
        rows += [flatten(r) for r in data["rows"]] if "rows" in data else [flatten(data)]
    return rows


def write_table(rows_or_frame: Any, path: str | Path, kind: str | None = None) -> None:
    """Write rows as Parquet with the fixed schema of their table kind (see schema.py);
    the kind is recognised from the columns unless given."""
    import pandas as pd
    import pyarrow.parquet as pq

    from pipeline.schema import conform, kind_of

    frame = rows_or_frame
    if not isinstance(frame, pd.DataFrame):
        frame = pd.DataFrame(frame)
    table = conform(frame, kind or kind_of(frame.columns))
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def normalize(results: Any) -> Any:
    """Normalized score = compressed-run metric / dense-run metric, same task, cell, seed and
    training budget (``normalized``), and chance-corrected (score - chance) / (dense - chance)
    (``normalized_chance``, from the run's ``chance`` column).

    The dense run is fine-tuned densely for fine-tuned runs, and the dense pre-trained model
    evaluated as is for zero-shot runs (mode ``zero_shot``). Refuses (ValueError) to divide
    runs whose protocol hashes differ, naming the fields that differ, so a baseline trained
    differently never enters a figure. A level whose dense score is 0 has no ratio: it is
    kept, marked ``excluded`` with the reason (pipeline/analysis/undefined_ratio.py).
    """
    import pandas as pd

    results = results.assign(
        regime=results["mode"].where(results["mode"] == "zero_shot", "fine_tuned")
    )
    # A pre-training seed is part of the cell: each has its own dense run.
    keys = CELL_KEYS + ["pretrain_seed"] * ("pretrain_seed" in results.columns) + ["regime"]
    # A larger training budget is a protocol of its own, with its own dense run.
    keys += ["budget"] * ("budget" in results.columns)
    is_dense = (results["compression"] == "dense") & results["mode"].isin(["dense", "zero_shot"])
    dense = results[is_dense][keys + ["value", "protocol_hash", "protocol_json"]]
    if dense.duplicated(keys).any():
        raise ValueError(
            "more than one dense run for a cell: "
            f"{dense[dense.duplicated(keys)][keys].to_dict('records')}"
        )
    merged = results[~is_dense].merge(dense, on=keys, how="left", suffixes=("", "_dense"))
    missing = merged["value_dense"].isna()
    if missing.any():
        raise ValueError(
            f"no dense run for cells: {merged[missing][keys].drop_duplicates().to_dict('records')}"
        )
    bad = merged[merged["protocol_hash"] != merged["protocol_hash_dense"]]
    if len(bad):
        first = bad.iloc[0]
        diff = protocol_diff(
            json.loads(first["protocol_json"]), json.loads(first["protocol_json_dense"])
        )
        raise ValueError(
            f"protocol mismatch in {len(bad)} runs, e.g. {first[CELL_KEYS].to_dict()} "
            f"({first['compression']}/{first['mode']}, protocol {first['protocol_hash']}) vs "
            f"its dense run (protocol {first['protocol_hash_dense']}); differing fields "
            f"(run, dense): {diff}"
        )
    # Chance-corrected: the share of the dense model's headroom above chance that the
    # compressed run keeps (0 at chance, 1 at dense); NaN without a chance level. A zero
    # denominator is marked by mark_undefined, not divided by.
    chance = merged["chance"] if "chance" in merged.columns else np.nan
    merged["normalized"] = merged["value"] / merged["value_dense"]
    merged["normalized_chance"] = (merged["value"] - chance) / (merged["value_dense"] - chance)
    table = pd.concat(
        [
            merged.drop(columns=["protocol_json_dense"]),
            results[is_dense].assign(
                normalized=1.0, normalized_chance=1.0, value_dense=results["value"]
            ),
        ],
        ignore_index=True,
    )
    return mark_undefined(table)
