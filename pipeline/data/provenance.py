"""Where a run's model and data came from, for its result row: the staging manifests
(hub id, pinned revision, files or row counts, mirror folder) as JSON text columns, the
model's revision as its own column, and what the job really loaded (model and tokenizer
classes, the tokenizer's vocabulary file, the weight files). Synthetic models and data
record no manifests."""

from __future__ import annotations

import json
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from pipeline.data.stage import MANIFEST
from pipeline.data.staged import dataset_name
from pipeline.io import read_json
from pipeline.staging.files import PYTORCH_BIN, SAFETENSORS
from pipeline.staging.hub import staged_manifest


def task_dataset_names(task: Any) -> list[str]:
    """Staged folders the configured ``task`` reads (a translation group: one per pair)."""
    if getattr(task, "source", None) != "hub":
        return []
    if getattr(task, "languages", ()):
        configs = ["-".join(sorted((task.pivot, x))) for x in task.languages]
    else:
        configs = [task.hub_config]
    return [dataset_name(task.hub_path, c) for c in configs]


def task_inputs(task: Any, data_dir: str | Path | None) -> list[Path]:
    """The folders a run of the configured ``task`` reads, for its fingerprint: its own staged
    data sets, not the whole data folder (other jobs stage into that one while it runs, and
    their data is not this run's input), or the synthetic world."""
    if data_dir is None:
        return []
    if getattr(task, "source", None) != "hub":
        return [Path(data_dir)]
    return [Path(data_dir) / name for name in task_dataset_names(task)]


def weight_files(model_dir: str | Path) -> list[str]:
    """The weight files ``from_pretrained`` reads from a folder: its safetensors when it has
    any, else its PyTorch ``.bin`` files (transformers' own order of preference)."""
    names = sorted(p.name for p in Path(model_dir).iterdir() if p.is_file())
    for patterns in (SAFETENSORS, PYTORCH_BIN):
        found = [n for n in names if any(fnmatch(n, p) for p in patterns)]
        if any(not n.endswith(".json") for n in found):
            return found
    return []


def loaded(model_dir: str | Path, model: Any, tokenizer: Any) -> dict[str, Any]:
    """What the job loaded: classes, the tokenizer's vocabulary file (``tokenizer.model``
    for a sentencepiece Llama, ``vocab.json`` for byte-level BPE) and the weight files."""
    vocab = getattr(tokenizer, "vocab_file", None)
    return {
        "model_class": type(model).__name__,
        "tokenizer_class": type(tokenizer).__name__,
        "tokenizer_vocab_file": Path(vocab).name if vocab else None,
        "weight_files": weight_files(model_dir),
    }


def provenance(
    model_dir: str | Path,
    data_dir: str | Path | None,
    task: Any,
    model: Any = None,
    tokenizer: Any = None,
) -> dict[str, Any]:
    """The row's provenance columns; ``model``/``tokenizer``: what was loaded from
    ``model_dir`` (recorded as ``model_loaded_json``)."""
    loaded_from = loaded(model_dir, model, tokenizer) if model is not None else None
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
        "model_loaded_json": json.dumps(loaded_from, sort_keys=True) if loaded_from else None,
    }
