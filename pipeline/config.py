"""Checks the JSON schema cannot express: cross-references between config sections.

The schema (pipeline/schemas/config.schema.yaml, applied by snakemake.utils.validate)
catches unknown keys and values; this catches names that point nowhere. Both run before
any job starts.
"""

from __future__ import annotations

from typing import Any


class ConfigError(ValueError):
    pass


def _must_be_in(key: str, value: Any, allowed: Any) -> None:
    if value not in allowed:
        raise ConfigError(f"config key '{key}': {value!r} is not one of {sorted(allowed)}")


def check_config(config: dict[str, Any]) -> None:
    from pipeline.tasks.registry import TASKS

    models = config["models"]
    for name, spec in models.items():
        if spec["source"] == "scratch":
            _must_be_in(
                f"models.{name}.of",
                spec.get("of"),
                [n for n, s in models.items() if s["source"] == "synthetic"],
            )
        if spec["source"] == "synthetic":
            for key in ("arch", "size", "pretrain"):
                if key not in spec:
                    raise ConfigError(
                        f"config key 'models.{name}.{key}' is required for "
                        f"source {spec['source']!r}"
                    )
        if spec["source"] == "hub" and "hub_id" not in spec:
            raise ConfigError(f"config key 'models.{name}.hub_id' is required for source 'hub'")
    for setting, block in config["settings"].items():
        _must_be_in(f"settings.{setting}.model", block["model"], models)
        for i, method in enumerate(block.get("methods", [])):
            _must_be_in(
                f"settings.{setting}.methods[{i}]", method, config["compression"]["methods"]
            )
        for i, mode in enumerate(block.get("modes", [])):
            _must_be_in(f"settings.{setting}.modes[{i}]", mode, config["modes"])
        if "control_model" in block:
            _must_be_in(f"settings.{setting}.control_model", block["control_model"], models)
        named = [
            (f"settings.{setting}.tasks[{i}]", t) for i, t in enumerate(block.get("tasks", []))
        ]
        if "task" in block:
            named.append((f"settings.{setting}.task", block["task"]))
        for key, task in named:
            _must_be_in(key, task, TASKS)
            if TASKS[task].source == "synthetic" and "world" not in config:
                raise ConfigError(
                    f"config key '{key}': synthetic task {task!r} needs a 'world' section"
                )
        _check_protocol(config, setting)
    from pipeline.data.catalog import check_datasets

    check_datasets(config)
    for mode, methods in config.get("mode_methods", {}).items():
        _must_be_in("mode_methods", mode, config["modes"])
        for i, method in enumerate(methods):
            _must_be_in(f"mode_methods.{mode}[{i}]", method, config["compression"]["methods"])
    for i, cell in enumerate(config.get("lmc", {}).get("cells", [])):
        key = f"lmc.cells[{i}]"
        _must_be_in(f"{key}.setting", cell["setting"], config["settings"])
        block = config["settings"][cell["setting"]]
        _must_be_in(f"{key}.task", cell["task"], block["tasks"])
        _must_be_in(f"{key}.fraction", cell["fraction"], block["fractions"])
        _must_be_in(f"{key}.method", cell["method"], config["compression"]["methods"])
        _must_be_in(f"{key}.sparsity", cell["sparsity"], config["compression"]["sparsities"])
        _must_be_in(f"{key}.seed", cell["seed"], config["seeds"])
        if "sparse" not in config["modes"]:
            raise ConfigError(f"config key '{key}': LMC needs 'sparse' in 'modes'")


def model_spec(config: dict[str, Any], name: str) -> dict[str, Any]:
    """A model's config entry, with a scratch control's architecture taken from its ``of``."""
    spec = config["models"][name]
    if spec["source"] == "scratch":
        return {**config["models"][spec["of"]], "source": "scratch"}
    return spec


def _check_protocol(config: dict[str, Any], setting: str) -> None:
    """The protocol a setting's cells run under must be complete and valid."""
    from pipeline.finetune.protocol import Protocol
    from pipeline.study import protocol_for

    try:
        Protocol.from_dict({**protocol_for(config, setting), "seed": 0})
    except (TypeError, ValueError) as err:
        raise ConfigError(f"config key 'settings.{setting}.protocol': {err}") from None
