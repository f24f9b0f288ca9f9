"""Which hub data sets a study needs, derived from its settings and calibration, each with
the splits (and row limits) the study reads: staged once, read by every job that needs them.

A study pins each data set repository under ``datasets: {<hub id>: {revision: ...}}``; a
setting that fine-tunes stages the train split too, a zero-shot one only the evaluation
split (TriviaQA: the first 2,000 ``rc`` validation questions, not all 17,944). A setting's
``max_train_rows_per_pair`` caps the train rows staged per data set (an OPUS-100 pair): a
seeded sample of that many rows (``SAMPLE_SEED``), so every job sized from the staged rows
reads exactly what was priced.
"""

from __future__ import annotations

import re
from typing import Any

from pipeline.data.staged import dataset_name
from pipeline.instances import instances
from pipeline.models import continued
from pipeline.resolve import ConfigError

CAP_KEY = "max_train_rows_per_pair"
SAMPLE_SEED = 0  # the seeded train sample under a cap: the same rows on every staging


def _fine_tunes(block: dict[str, Any]) -> bool:
    return "few_shot" in block.get("regimes", ["few_shot"])


def task_datasets(task: Any, block: dict[str, Any]) -> list[dict[str, Any]]:
    """(hub id, config, splits) of every data set ``task`` reads in a setting ``block``."""
    if task.source != "hub":
        return []
    if hasattr(task, "hub_configs"):  # translation: one OPUS-100 pair per language
        configs = task.hub_configs({k: block[k] for k in ("pivot", "groups") if k in block})
    else:
        configs = [task.hub_config]
    splits = {getattr(task, "validation_split", "validation"): getattr(task, "max_examples", None)}
    sample = {}
    if _fine_tunes(block):
        splits["train"] = None
        if block.get(CAP_KEY) is not None:
            sample["train"] = int(block[CAP_KEY])
    return [
        {"hub_id": task.hub_path, "config": c, "splits": splits, "sample": sample} for c in configs
    ]


def _calibration_dataset(config: dict[str, Any]) -> list[dict[str, Any]]:
    spec = config.get("compression", {}).get("calibration", {})
    if spec.get("source") != "hub":
        return []
    entry = {
        "hub_id": spec["hub_id"],
        "config": spec.get("hub_config"),
        "splits": {spec.get("split", "train"): None},
        "sample": {},
    }
    return [{**entry, "data_files": spec["data_files"]} if "data_files" in spec else entry]


def study_datasets(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """name -> staging spec (hub id, config, splits, revision, hub_mirror) of every hub data
    set the study reads; the splits of a data set used by several settings are merged."""
    from pipeline.tasks.registry import get_task

    wanted: list[dict[str, Any]] = []
    for block in config["settings"].values():
        for name in block.get("tasks", [block.get("task")]):
            if name is not None:
                wanted += task_datasets(get_task(name), block)
    wanted += _calibration_dataset(config)
    wanted += continued.datasets(config)  # parallel data of continued training
    out: dict[str, dict[str, Any]] = {}
    for entry in wanted:
        name = dataset_name(entry["hub_id"], entry["config"])
        spec = out.setdefault(
            name,
            {
                **entry,
                "name": name,
                "splits": {},
                "sample": dict(entry["sample"]),
                "sample_seed": SAMPLE_SEED,
                "revision": config.get("datasets", {}).get(entry["hub_id"], {}).get("revision"),
                "hub_mirror": config.get("hub_mirror"),
            },
        )
        for split, limit in entry["splits"].items():
            old = spec["splits"].get(split, limit)
            spec["splits"][split] = None if None in (old, limit) else max(old, limit)
        for split in (spec["sample"].keys() & entry["splits"].keys()) - entry["sample"].keys():
            del spec["sample"][split]  # another reader of the split wants all of it
        for split, cap in entry["sample"].items():
            if split in spec["sample"]:
                spec["sample"][split] = max(spec["sample"][split], cap)
    return out


def task_data_dirs(config: dict[str, Any], task: Any, block: dict[str, Any]) -> list[str]:
    """The staged folders (under ``<results_dir>/data``) a task's jobs take as inputs."""
    root = f"{config['results_dir']}/data"
    return [f"{root}/{dataset_name(d['hub_id'], d['config'])}" for d in task_datasets(task, block)]


def calibration_data_dir(config: dict[str, Any]) -> str | None:
    """The staged calibration text of Wanda/SparseGPT, when it comes from the hub."""
    found = _calibration_dataset(config)
    if not found:
        return None
    return f"{config['results_dir']}/data/{dataset_name(found[0]['hub_id'], found[0]['config'])}"


def names_pattern(names: list[str]) -> str:
    """A wildcard constraint matching exactly ``names`` (nothing, when there are none)."""
    return "|".join(re.escape(n) for n in sorted(names)) or "(?!x)x"


def model_names(config: dict[str, Any], hub: bool) -> str:
    """Constraint of the ``model`` wildcard for the hub-staging rule (``hub=True``) or the
    rule that builds the other sources (synthetic pre-training, scratch controls: every
    instance, pipeline/instances.py); continued models have their own rule (continue_train)."""
    return names_pattern(
        [
            i
            for n, s in config["models"].items()
            if (s["source"] == "hub") == hub and s["source"] != continued.CONTINUED
            for i in instances(config, n)
        ]
    )


def check_datasets(config: dict[str, Any]) -> None:
    """Every hub data set the study reads names its repository under ``datasets:``."""

    for spec in study_datasets(config).values():
        if spec["revision"] is None:
            raise ConfigError(
                f"config key 'datasets.{spec['hub_id']}.revision' is required: the study "
                f"reads {spec['hub_id']!r}; pin its commit hash (or 'UNPINNED' until you can)"
            )
