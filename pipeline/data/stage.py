"""Stage one hub data set: each split it needs, downloaded once (or read from the
``hub_mirror`` folder) and written as ``<split>.parquet`` in the data set's own schema,
plus ``staged.json`` (hub id, config, revision, row counts staged and available, the cap,
and the content hash of every Parquet file, so compute jobs never hash the data again).
A row limit (TriviaQA's first 2,000 questions) streams just those rows instead of
materialising the split; a cap (``sample``: at most N train rows per data set) keeps a seeded
random sample of N rows, in their original order.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.io import write_json
from pipeline.staging.revisions import check_revision, mirror_folder

MANIFEST = "staged.json"


def sample_indices(n: int, cap: int, seed: int) -> list[int]:
    """``cap`` of ``n`` row indices, drawn by ``seed``, in their original order (all of them
    when ``n <= cap``): the same sample on every staging of the same revision."""
    import numpy as np

    if n <= cap:
        return list(range(n))
    return sorted(np.random.default_rng(seed).permutation(n)[:cap].tolist())


def stage_dataset(spec: dict[str, Any], out_dir: Path) -> dict[str, Any]:
    """Write every split of ``spec`` (see pipeline/catalog.py) into ``out_dir``."""
    import shutil

    from datasets import Dataset, load_dataset

    from pipeline.fingerprint import record_hashes

    hub_id, revision = spec["hub_id"], spec.get("revision")
    if spec.get("hub_mirror"):
        path, pinned, source = str(mirror_folder(spec["hub_mirror"], hub_id)), {}, "mirror"
    else:
        revision = check_revision(f"datasets.{hub_id}.revision", revision)
        path, pinned, source = hub_id, {"revision": revision}, "hub"
    cache = out_dir / ".cache"  # datasets' download/Arrow cache: removed, only Parquet stays
    caps = spec.get("sample", {})
    counts, available = {}, {}
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
        available[split] = len(data)
        if split in caps:
            data = data.select(sample_indices(len(data), caps[split], spec.get("sample_seed", 0)))
        data.to_parquet(str(out_dir / f"{split}.parquet"))
        counts[split] = len(data)
    shutil.rmtree(cache, ignore_errors=True)
    manifest = {
        "hub_id": hub_id,
        "config": spec.get("config"),
        "revision": revision,
        "rows": counts,
        "rows_available": available,
        "sample": caps,
        "sample_seed": spec.get("sample_seed", 0),
        source: path,
        "content_hashes": record_hashes(out_dir),
    }
    write_json(out_dir / MANIFEST, manifest)
    return manifest
