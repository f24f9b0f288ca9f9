"""Stage one hub data set: each split it needs, downloaded once (or read from the
``hub_mirror`` folder) and written as ``<split>.parquet`` in the data set's own schema,
plus ``staged.json`` (hub id, config, revision, row counts). A row limit (TriviaQA's first
2,000 questions) streams just those rows instead of materialising the split.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.io import write_json
from pipeline.models.staging.revisions import check_revision, mirror_folder

MANIFEST = "staged.json"


def stage_dataset(spec: dict[str, Any], out_dir: Path) -> dict[str, Any]:
    """Write every split of ``spec`` (see pipeline/data/catalog.py) into ``out_dir``."""
    import shutil

    from datasets import Dataset, load_dataset

    hub_id, revision = spec["hub_id"], spec.get("revision")
    if spec.get("hub_mirror"):
        path, pinned, source = str(mirror_folder(spec["hub_mirror"], hub_id)), {}, "mirror"
    else:
        revision = check_revision(f"datasets.{hub_id}.revision", revision)
        path, pinned, source = hub_id, {"revision": revision}, "hub"
    cache = out_dir / ".cache"  # datasets' download/Arrow cache: removed, only Parquet stays
    counts = {}
    for split, limit in spec["splits"].items():
        data = load_dataset(
            path,
            spec.get("config"),
            split=split,
            data_files=spec.get("data_files"),
            streaming=limit is not None,
            cache_dir=str(cache),
            **pinned,
        )
        if limit is not None:
            data = Dataset.from_list(list(data.take(limit)), features=data.features)
        data.to_parquet(str(out_dir / f"{split}.parquet"))
        counts[split] = len(data)
    shutil.rmtree(cache, ignore_errors=True)
    manifest = {
        "hub_id": hub_id,
        "config": spec.get("config"),
        "revision": revision,
        "rows": counts,
        source: path,
    }
    write_json(out_dir / MANIFEST, manifest)
    return manifest
