"""The config schema with its registry-backed choices filled in from the registries.

``pipeline/schemas/config.schema.yaml`` names a registry where a value must be one of its
entries (``x-registry: compression_methods``) instead of listing them, so a new method,
mode, source or architecture is allowed by its registry line alone; the schema every run
validates against (:func:`schema_file`) carries the registries' current names as ``enum``,
and the typed option block of every compression method (pipeline/compress/options.py).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from pipeline.compress.options import json_schema
from pipeline.compress.prunable import POLICIES
from pipeline.compress.registry import METHODS
from pipeline.finetune.modes import MODES
from pipeline.finetune.modes.zero_shot import ZeroShot
from pipeline.finetune.protocol import OPTIMIZERS, PRECISIONS, SCHEDULES
from pipeline.io import atomic_path
from pipeline.models.architectures import ARCHITECTURES
from pipeline.models.continued import CONTINUED
from pipeline.models.sources import SOURCES
from pipeline.tasks.registry import TASKS
from pipeline.world.tasks import GLUE_GENERATORS

SCHEMA_YAML = Path(__file__).parent / "schemas" / "config.schema.yaml"
MARKER = "x-registry"


def configured_modes() -> list[str]:
    """Modes a config lists under ``modes``: zero_shot is reached through ``regimes``."""
    return [name for name in MODES if name != ZeroShot.name]


def _options() -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {name: json_schema(m.options_class) for name, m in METHODS.items()},
    }


REGISTRIES: dict[str, Callable[[], dict[str, Any]]] = {
    "compression_methods": lambda: {"enum": list(METHODS)},
    "compression_options": _options,
    "transfer_modes": lambda: {"enum": configured_modes()},
    "compressed_modes": lambda: {"enum": [m for m in configured_modes() if m != "dense"]},
    "prunable_policies": lambda: {"enum": list(POLICIES)},
    "model_sources": lambda: {"enum": [*SOURCES, CONTINUED]},  # continued: rule continue_train
    "architectures": lambda: {"enum": list(ARCHITECTURES)},
    "optimizers": lambda: {"enum": list(OPTIMIZERS)},
    "schedules": lambda: {"enum": list(SCHEDULES)},
    "precisions": lambda: {"enum": list(PRECISIONS)},
    "tasks": lambda: {"enum": list(TASKS)},
    "world_tasks": lambda: {"enum": list(GLUE_GENERATORS)},
}


def _fill(node: Any) -> Any:
    if isinstance(node, dict):
        if MARKER in node:
            node = {**node, **REGISTRIES[node[MARKER]]()}
        return {key: _fill(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_fill(value) for value in node]
    return node


def schema() -> dict[str, Any]:
    """The config schema with every ``x-registry`` node filled from its registry."""
    return _fill(yaml.safe_load(SCHEMA_YAML.read_text()))


def schema_file() -> str:
    """A file holding :func:`schema`, for ``snakemake.utils.validate`` (which reads a path):
    named by its content, so concurrent runs share one and a registry change writes anew."""
    text = json.dumps(schema(), indent=1, sort_keys=True)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"junkdna-config-schema-{digest}.json"
    if not path.exists():
        with atomic_path(path) as tmp:
            Path(tmp).write_text(text)
    return str(path)
