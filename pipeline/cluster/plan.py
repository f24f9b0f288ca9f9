"""The plan: one typed, frozen view of a study for sizing its jobs, built once per Snakemake
run (pipeline/cluster/resources.py) or per cost report.

It holds a snapshot of the merged, validated config, the cluster's throughput table (the
profile's ``throughput.yaml``: each model's rates on the GPU, the partition's
``max_runtime``, the margin, the pack size, host memory) and the rows each data set holds.
Rows are what staging wrote: each staged data set's ``staged.json`` under
``<results_dir>/data``, else the published counts of ``slurm/staged_rows.yaml`` with the
study's row limits and caps applied as staging applies them (pipeline/catalog.py), so a
study is priced before anything is staged and re-priced from the real counts after.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pipeline import instances
from pipeline.study import cells, setting_of

SLURM_DIR = Path(__file__).resolve().parents[2] / "slurm"
THROUGHPUT_FILE = SLURM_DIR / "throughput.yaml"
THROUGHPUT_ENV = "JUNKDNA_THROUGHPUT"
ROWS_FILE = SLURM_DIR / "staged_rows.yaml"
ROWS_ENV = "JUNKDNA_STAGED_ROWS"


@dataclass(frozen=True)
class Throughput:
    train: float
    forward: float
    generate: float
    load_minutes: float


@dataclass(frozen=True)
class Plan:
    """One typed, frozen view of a study for sizing its jobs: a snapshot of the merged,
    validated config, the cluster's throughput table and the row counts each data set
    holds as staged. Built once per Snakemake run (pipeline/cluster/resources.py) or per cost
    report."""

    config: dict[str, Any]
    gpu: str
    models: Mapping[str, Throughput]
    max_runtime: float
    margin: float
    pack_size: int
    rows: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    host_mem_mb: Mapping[str, int] = field(default_factory=dict)
    settings: Mapping[tuple[str, str, str], str] = field(default_factory=dict)
    first_principles: Mapping[str, Any] = field(default_factory=dict)
    # Estimates by the work that sets them (rule kind, model, task, level, whether it trains):
    # thousands of jobs share a few hundred, and Snakemake asks for each job's twice.
    memo: dict[tuple, float] = field(default_factory=dict, compare=False, repr=False)

    def speed(self, model: str) -> Throughput:
        """The model's row; a model the table does not name gets the ``default`` row (a
        study's own small models, e.g. the tiny test study), else an error."""
        model = continued_base(self.config, model)  # a continued model runs at its base's rate
        if model not in self.models and "default" in self.models:
            return self.models["default"]
        if model not in self.models:
            raise ValueError(
                f"throughput table: no entry for model {model!r} on GPU {self.gpu!r}; "
                f"measure it: python -m pipeline cost --measure <model folder>"
            )
        return self.models[model]

    def mem_mb(self, model: str) -> int:
        """Host memory of one job holding ``model`` (``host_mem_mb``, else its default)."""
        table = self.host_mem_mb
        model = continued_base(self.config, model)  # a continued model: its base's size
        return int(table.get(model, table.get("default", 16000)))

    def staged_rows(self, name: str, split: str) -> int:
        """Rows of one staged split, or an error naming the data set and how to count it."""
        try:
            return int(self.rows[name][split])
        except KeyError:
            raise ValueError(
                f"cost model: no row count for data set {name!r} split {split!r}: stage it "
                f"(snakemake {self.config['results_dir']}/data/{name}) or give its published "
                f"count to its task (`rows`, pipeline/tasks) or to {ROWS_FILE}"
            ) from None


def _read_yaml(path: Path) -> Any:
    import yaml

    return yaml.safe_load(path.read_text())


def study_rows(config: dict[str, Any], published: str | Path | None = None) -> dict:
    """Rows per data set and split as the study stages them: the ``staged.json`` of each
    data set already under ``<results_dir>/data``, else the published full counts (the
    task's ``rows`` for its own data set, else the file's) with the study's row limit and
    cap applied (pipeline/catalog.py); data sets neither staged nor published are left out
    (:meth:`Plan.staged_rows` names them)."""
    from pipeline.catalog import study_datasets
    from pipeline.data.stage import MANIFEST
    from pipeline.data.staged import dataset_name
    from pipeline.tasks.registry import TASKS

    path = Path(published or os.environ.get(ROWS_ENV) or ROWS_FILE)
    table = {  # a task's own data set: its definition's counts; the file's win
        **{dataset_name(t.hub_path, t.hub_config): t.rows for t in TASKS.values() if t.rows},
        **((_read_yaml(path) or {}).get("datasets", {}) if path.exists() else {}),
    }
    out: dict[str, dict[str, int]] = {}
    root = Path(config["results_dir"]) / "data"
    for name, spec in study_datasets(config).items():
        manifest = root / name / MANIFEST
        if manifest.exists():
            counts = dict(_read_yaml(manifest)["rows"])
        elif name in table:
            counts = {s: int(n) for s, n in table[name].items() if s in spec["splits"]}
        else:
            continue
        for split, n in counts.items():
            for limit in (spec["splits"].get(split), spec.get("sample", {}).get(split)):
                if limit is not None:
                    n = min(n, int(limit))
            counts[split] = n
        out[name] = counts
    return out


def load_plan(
    config: dict[str, Any],
    throughput: str | Path | None = None,
    rows: str | Path | None = None,
) -> Plan:
    """The plan for ``config`` with the throughput table (default: the profile's file) and
    the staged row counts (:func:`study_rows`)."""
    path = Path(throughput or os.environ.get(THROUGHPUT_ENV) or THROUGHPUT_FILE)
    table = _read_yaml(path)
    gpu = table["gpu"]
    if gpu not in table["gpus"]:
        raise ValueError(f"{path}: gpu {gpu!r} is not one of {sorted(table['gpus'])}")
    models = {name: Throughput(**row) for name, row in table["gpus"][gpu].items()}
    snapshot = copy.deepcopy(config)
    return Plan(
        snapshot,
        gpu,
        MappingProxyType(models),
        float(table["max_runtime"]),
        float(table["margin"]),
        int(table["pack_size"]),
        MappingProxyType(study_rows(snapshot, rows)),
        MappingProxyType(dict(table.get("host_mem_mb", {}))),
        MappingProxyType(setting_of(cells(snapshot))),
        MappingProxyType(dict(table.get("first_principles", {}))),
    )


def continued_base(config: dict[str, Any], model: str) -> str:
    """The staged model a continued one starts from (the same architecture and speed); an
    instance's model (``tiny_roberta/p1``: pipeline/instances.py)."""
    model = instances.split(model)[0]
    spec = config.get("models", {}).get(model, {})
    return spec["of"] if spec.get("source") == "continued" else model
