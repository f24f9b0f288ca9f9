"""Reading staged data sets: ``<data_dir>/<name>/<split>.parquet``, rows in the data set's
own schema. The only way a hub task reads data, so a compute job never touches the hub."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def dataset_name(hub_id: str, config: str | None = None) -> str:
    """The staged folder of a hub data set (and config): ``nyu-mll__glue__sst2``."""
    return "__".join([hub_id.replace("/", "__")] + ([config] if config else []))


def read_staged(
    data_dir: str | Path | None, hub_id: str, config: str | None, split: str
) -> list[dict[str, Any]]:
    """Rows of one staged split; a clear error when the folder or split is missing."""
    import pyarrow.parquet as pq

    name = dataset_name(hub_id, config)
    if data_dir is None:
        raise ValueError(
            f"data set {hub_id!r} ({config or 'default'}): a hub task reads staged files; "
            "pass the staged data folder (--data)"
        )
    path = Path(data_dir) / name / f"{split}.parquet"
    if not path.exists():
        raise FileNotFoundError(
            f"staged split {path} is missing: stage {hub_id!r} first "
            f"(snakemake {Path(data_dir) / name})"
        )
    return pq.read_table(path).to_pylist()
