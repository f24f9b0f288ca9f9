"""The Parquet schemas: fixed types whatever the rows, clear errors, documented columns."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.analysis.tables import collect, flatten, normalize, write_table
from pipeline.io import write_json
from pipeline.schema import SCHEMAS, conform, kind_of

DOCS = Path(__file__).resolve().parents[1] / "docs" / "schema.md"


def record(seed: int, compression: str = "dense", mode: str = "dense", value: float = 0.8):
    method, _, level = compression.partition("-")
    return {
        "study": "s",
        "setting": "data_fraction",
        "model": "m",
        "task": "t",
        "difficulty": "fraction-1",
        "difficulty_axis": "fraction",
        "difficulty_level": "1",
        "compression": compression,
        "method": method,
        "level": level or "0",
        "mode": mode,
        "seed": seed,
        "protocol": {"lr": 1},
        "protocol_hash": "h",
        "metric": "accuracy",
        "value": value,
        "metrics": {"accuracy": value, "f1": 1},
        "loss": 0.5,
        "n_eval": 10,
        "achieved_sparsity": 0.0,
        "denominator_numel": 100,
        "training": {},
        "wall_time_s": 1.0,
        "versions": {},
    }


def test_every_schema_column_is_documented():
    text = DOCS.read_text()
    for kind, schema in SCHEMAS.items():
        for field in schema:
            assert re.search(rf"^\| `{field.name}` \| ", text, re.M), (kind, field.name)


def test_collected_records_get_the_fixed_types(tmp_path):
    paths = []
    for seed in (0, 1):
        paths.append(tmp_path / f"r{seed}.json")
        write_json(paths[-1], record(seed))
    write_table(collect(paths), tmp_path / "results.parquet")
    schema = pq.read_schema(tmp_path / "results.parquet")
    for field in SCHEMAS["results"]:
        assert schema.field(field.name).type == field.type
    assert schema.field("metric_f1").type == pa.float64()  # an int metric stays a double


def test_normalized_table_is_recognised_and_typed(tmp_path):
    frame = pd.DataFrame([flatten(record(0)), flatten(record(0, "magnitude-0.5", "sparse", 0.6))])
    normalized = normalize(frame)
    assert kind_of(normalized.columns) == "normalized"
    write_table(normalized, tmp_path / "n.parquet")
    back = pd.read_parquet(tmp_path / "n.parquet")
    assert back.loc[back["mode"] == "sparse", "normalized"].iloc[0] == pytest.approx(0.75)


def test_lmc_seed_from_a_path_wildcard_becomes_an_integer():
    rows = pd.DataFrame(
        [
            {
                "model": "m",
                "task": "t",
                "difficulty": "fraction-1",
                "compression": "magnitude-0.5",
                "seed": "3",
                "alpha": a,
                "loss": 1.0,
                "metric": "accuracy",
                "value": 0.5,
                "loss_barrier": 0.1,
                "metric_barrier": 0.0,
            }
            for a in (0.0, 1.0)
        ]
    )
    table = conform(rows, kind_of(rows.columns))
    assert table.schema.field("seed").type == pa.int64() and table["seed"].to_pylist() == [3, 3]


def test_missing_required_column_and_bad_value_name_the_column():
    rows = pd.DataFrame([flatten(record(0))]).drop(columns=["protocol_hash"])
    with pytest.raises(ValueError, match=r"results table: required columns \['protocol_hash'\]"):
        conform(rows, "results")
    rows = pd.DataFrame([flatten(record(0))])
    rows["seed"] = "zero"
    with pytest.raises(ValueError, match="column 'seed' cannot be int64"):
        conform(rows, "results")
    with pytest.raises(ValueError, match="unknown table kind 'resultz'"):
        conform(rows, "resultz")
