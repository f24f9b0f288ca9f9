"""Where a run's model and data came from, for its result row: the staging manifests
(hub id, pinned revision, files or row counts, mirror folder) as JSON text columns, and
the model's revision as its own column. Synthetic models and data record none."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline.data.stage import MANIFEST
from pipeline.data.staged import dataset_name
from pipeline.io import read_json
from pipeline.models.staging.hub import staged_manifest


def task_dataset_names(task: Any) -> list[str]:
    """Staged folders the configured ``task`` reads (a translation group: one per pair)."""
    if getattr(task, "source", None) != "hub":
        return []
    if getattr(task, "languages", ()):
        configs = ["-".join(sorted((task.pivot, x))) for x in task.languages]
    else:
        configs = [task.hub_config]
    return [dataset_name(task.hub_path, c) for c in configs]


def provenance(model_dir: str | Path, data_dir: str | Path | None, task: Any) -> dict[str, Any]:
    model = staged_manifest(model_dir)
    data = {}
    for name in task_dataset_names(task):
        path = Path(data_dir or ".") / name / MANIFEST
        if path.exists():
            data[name] = read_json(path)
    return {
        "model_revision": model["revision"] if model else None,
        "model_staged_json": json.dumps(model, sort_keys=True) if model else None,
        "data_staged_json": json.dumps(data, sort_keys=True) if data else None,
    }
