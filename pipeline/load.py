"""Every load of a study file goes through here: a bad file is named in one line.

A truncated mask, a corrupt record or a model folder without its config would otherwise
surface as ``BadZipFile: File is not a zip file`` or a transformers traceback that names
no file. Each loader raises :class:`LoadError` (a ``ValueError``: a verb prints it as one
``error:`` line, pipeline/cli.py) with the path and what is wrong with it.
"""

from __future__ import annotations

import json as _json
import math
import os
import zipfile
from pathlib import Path
from typing import Any

from pipeline.metrics import METRICS
from pipeline.paths import BASE_BUDGET


class LoadError(ValueError):
    """A study file that is missing, unreadable or not what its kind requires."""

    def __init__(self, path: str | os.PathLike, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = Path(path)


def _text(path: str | os.PathLike) -> str:
    try:
        return Path(path).read_text()
    except FileNotFoundError:
        raise LoadError(path, "file is missing") from None
    except (OSError, UnicodeDecodeError) as err:
        raise LoadError(path, f"cannot be read ({err})") from None


def read_json(path: str | os.PathLike) -> Any:
    """A JSON file's value."""
    try:
        return _json.loads(_text(path))
    except ValueError as err:
        if isinstance(err, LoadError):
            raise
        raise LoadError(path, f"not valid JSON ({err})") from None


def read_jsonl(path: str | os.PathLike) -> list[dict]:
    """One JSON object per line."""
    rows = []
    for i, line in enumerate(_text(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(_json.loads(line))
        except ValueError as err:
            raise LoadError(path, f"line {i} is not valid JSON ({err})") from None
    return rows


def json_object(path: str | os.PathLike) -> dict[str, Any]:
    """A JSON file that must hold an object (a record, a report, a world description)."""
    value = read_json(path)
    if not isinstance(value, dict):
        raise LoadError(path, f"holds a JSON {type(value).__name__}, not an object")
    return value


def _check_value(path: Path, where: str, field: Any, value: Any) -> None:
    import pyarrow as pa

    if value is None:
        if not field.nullable:
            raise LoadError(path, f"{where}'{field.name}' is missing")
        return
    kind = field.type
    ok = (
        (pa.types.is_string(kind) and isinstance(value, str))
        or (pa.types.is_integer(kind) and isinstance(value, int) and not isinstance(value, bool))
        or (
            pa.types.is_floating(kind)
            and isinstance(value, (int, float))
            and not isinstance(value, bool)
        )
    )
    if not ok:
        raise LoadError(path, f"{where}'{field.name}' is {value!r}, not of type {kind}")


def _check_metric(path: Path, where: str, name: str, value: Any) -> None:
    """A metric's value inside its range (pipeline/metrics.py); NaN is allowed."""
    if name not in METRICS or not isinstance(value, (int, float)) or math.isnan(value):
        return
    low, high = METRICS[name].low, METRICS[name].high
    if not low <= value <= high:
        raise LoadError(path, f"{where}{name} {value!r} is outside its range [{low}, {high}]")


def record(path: str | os.PathLike) -> dict[str, Any]:
    """A result record as a run writes it: a run's one row, or ``{"rows": [...]}`` of LMC
    path points, checked against its table's schema (pipeline/schema.py) and each
    metric against its range. A model instance's name (``tiny_roberta/p1``: the path's
    ``{model}``, pipeline/instances.py) is split into ``model`` and ``pretrain_seed`` (None:
    a model whose pre-training the study does not replicate)."""
    from pipeline.instances import split
    from pipeline.schema import LMC, RESULTS

    path = Path(path)
    data = json_object(path)
    if "rows" not in data:
        data.setdefault("budget", BASE_BUDGET)  # written before budgets: the protocol's own
    rows, schema = (data["rows"], LMC) if "rows" in data else ([data], RESULTS)
    if not isinstance(rows, list):
        raise LoadError(path, f"'rows' is a {type(rows).__name__}, not a list")
    for i, row in enumerate(rows):
        where = f"rows[{i}]." if schema is LMC else ""
        if not isinstance(row, dict):
            raise LoadError(path, f"{where or 'row '}is not an object")
        for field in schema:
            if not field.name.endswith("_json"):
                _check_value(path, where, field, row.get(field.name))
        _check_metric(path, where, row["metric"], row["value"])
        zeroed = row.get("zeroed_fraction")
        if zeroed is not None and not 0.0 <= zeroed <= 1.0:
            raise LoadError(path, f"{where}zeroed_fraction {zeroed!r} is outside its range [0, 1]")
        metrics = row.get("metrics", {})
        if not isinstance(metrics, dict):
            raise LoadError(path, f"{where}'metrics' is not an object")
        for name, value in metrics.items():
            _check_metric(path, f"{where}metrics.", name, value)
        if isinstance(row.get("model"), str) and row.get("pretrain_seed") is None:
            row["model"], row["pretrain_seed"] = split(row["model"])
    return data


def npz(path: str | os.PathLike) -> dict[str, Any]:
    """Every array of a ``.npz`` archive (read eagerly, so a torn member fails here)."""
    import numpy as np

    if not Path(path).is_file():
        raise LoadError(path, "file is missing")
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError) as err:
        raise LoadError(
            path, f"not a readable .npz archive, truncated or corrupt ({err})"
        ) from None


def model_folder(path: str | os.PathLike) -> Path:
    """A staged model folder (``from_pretrained`` layout): it exists and has a valid
    ``config.json`` naming its ``model_type``."""
    path = Path(path)
    if not path.is_dir():
        raise LoadError(path, "model folder is missing")
    config = path / "config.json"
    if not config.is_file():
        raise LoadError(path, "not a model folder: config.json is missing")
    if "model_type" not in json_object(config):
        raise LoadError(config, "has no 'model_type' key")
    return path


def parquet(path: str | os.PathLike) -> Any:
    """A Parquet table as a pandas frame."""
    import pandas as pd
    import pyarrow as pa

    if not Path(path).is_file():
        raise LoadError(path, "file is missing")
    try:
        frame = pd.read_parquet(path)
    except (pa.ArrowException, OSError, ValueError) as err:
        raise LoadError(path, f"not a readable Parquet table ({err})") from None
    return with_budget(frame)


def with_budget(frame: Any) -> Any:
    """A table of runs (results, normalized, examples) with its ``budget`` column: 1.0 where
    it was written before budgets existed or holds a null (every such run trained the
    protocol's own budget). Other tables come back as they are."""
    if not {"compression", "mode", "seed"} <= set(frame.columns):
        return frame
    if "budget" not in frame.columns:
        frame["budget"] = BASE_BUDGET  # in place: an examples table may be large
    elif frame["budget"].isna().any():
        frame["budget"] = frame["budget"].fillna(BASE_BUDGET)
    return frame
