"""Checks the JSON schema cannot express: cross-references between config sections.

The schema (pipeline/schemas/config.schema.yaml with the registries' names filled in,
pipeline/config_schema.py; applied by pipeline/overrides.py) catches unknown keys and names
(methods, modes, tasks, world tasks), values out of range, duplicates and the keys a model's
source needs; this catches what a schema cannot express: names that point into the config
itself (models, methods, modes, the world's contents, the study's own cells) and the
architecture's transformers config class. Both run before any job starts.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
from typing import Any

from pipeline import paths
from pipeline.catalog import check_datasets
from pipeline.compress.options import configured_label
from pipeline.compress.registry import METHODS
from pipeline.finetune.protocol import Protocol
from pipeline.instances import entry, pretrain_seeds, split
from pipeline.models.architectures import ARCHITECTURES
from pipeline.models.continued import CONTINUED, recipe_of
from pipeline.resolve import ConfigError, protocol_for
from pipeline.study import cells, fmt, lmc_difficulty, lmc_model
from pipeline.tasks.registry import TASKS
from pipeline.world.build import DEFAULT_WORLD
from pipeline.world.tasks import GLUE_GENERATORS


def _must_be_in(key: str, value: Any, allowed: Any) -> None:
    if value not in allowed:
        raise ConfigError(f"config key '{key}': {value!r} is not one of {sorted(allowed)}")


def _check_budgets(config: dict[str, Any], setting: str) -> None:
    """A larger-budget arm (``budgets``) names a factor other than 1 and modes its setting
    runs (the schema has checked the shapes)."""
    block = config["settings"][setting]
    modes = [m for m in block.get("modes", config["modes"]) if m != "dense"]
    for label, arm in block.get("budgets", {}).items():
        key = f"settings.{setting}.budgets.{label}"
        if paths.budget_factor(label) in (0.0, paths.BASE_BUDGET):
            raise ConfigError(
                f"config key '{key}': a budget is a factor other than 1x and 0x "
                "(1x is every run's own budget), e.g. 4x"
            )
        for i, mode in enumerate(arm["modes"]):
            _must_be_in(f"{key}.modes[{i}]", mode, modes)


def check_config(config: dict[str, Any]) -> None:
    models = config["models"]
    for name, spec in models.items():
        if spec["source"] in ("scratch", "implant"):
            _must_be_in(
                f"models.{name}.of",
                spec.get("of"),
                [n for n, s in models.items() if s["source"] == "synthetic"],
            )
        _check_pretrain_seeds(name, spec)
        if spec["source"] == CONTINUED:
            _must_be_in(
                f"models.{name}.of",
                spec.get("of"),
                [n for n, s in models.items() if s["source"] == "hub"],
            )
            try:
                recipe_of(config, name)
            except ValueError as error:
                raise ConfigError(str(error)) from None
    for setting, block in config["settings"].items():
        _must_be_in(f"settings.{setting}.model", block["model"], models)
        for i, method in enumerate(block.get("methods", [])):
            _must_be_in(
                f"settings.{setting}.methods[{i}]", method, config["compression"]["methods"]
            )
        setting_methods = block.get("methods", config["compression"]["methods"])
        for i, method in enumerate(block.get("claims_methods", [])):
            _must_be_in(f"settings.{setting}.claims_methods[{i}]", method, setting_methods)
        for i, mode in enumerate(block.get("modes", [])):
            _must_be_in(f"settings.{setting}.modes[{i}]", mode, config["modes"])
        _check_budgets(config, setting)
        if "control_model" in block:
            _must_be_in(f"settings.{setting}.control_model", block["control_model"], models)
        named = [
            (f"settings.{setting}.tasks[{i}]", t) for i, t in enumerate(block.get("tasks", []))
        ]
        if "task" in block:
            named.append((f"settings.{setting}.task", block["task"]))
        for key, task in named:  # names: the schema's enum of TASKS
            if TASKS[task].source == "synthetic" and "world" not in config:
                raise ConfigError(
                    f"config key '{key}': synthetic task {task!r} needs a 'world' section"
                )
        _check_task_overrides(config, setting)
        _check_protocol(config, setting)
        _check_world_contents(config, setting)

    check_datasets(config)
    _check_mode_methods(config, "mode_methods", config.get("mode_methods", {}))
    for setting, block in config["settings"].items():
        if "mode_methods" in block:
            key = f"settings.{setting}.mode_methods"
            _check_mode_methods(config, key, block["mode_methods"])
    for name, spec in models.items():
        if "size" in spec:
            _check_model_size(f"models.{name}.size", spec["arch"], spec["size"])
    _check_lmc_cells(config)
    min_seeds = config.get("analysis", {}).get("min_seeds")
    if min_seeds is not None and min_seeds > len(config["seeds"]):
        raise ConfigError(
            f"config key 'analysis.min_seeds': {min_seeds} is more than the study's "
            f"{len(config['seeds'])} seeds; allowed: at most {len(config['seeds'])}"
        )


def model_spec(config: dict[str, Any], name: str) -> dict[str, Any]:
    """A model instance's config entry (pipeline/instances.py), with a scratch control's
    architecture and initialisation seed taken from its ``of``."""
    spec = entry(config, name)
    if spec["source"] == "scratch":
        return {**entry(config, spec["of"]), "source": "scratch"}
    return spec


def _check_pretrain_seeds(name: str, spec: dict[str, Any]) -> None:
    """Only a model that pre-trains has a ``pretrain`` block (its seed or seeds: the
    schema's)."""
    if "pretrain" in spec and spec["source"] != "synthetic":
        raise ConfigError(
            f"config key 'models.{name}.pretrain': only a synthetic model pre-trains, not "
            f"source {spec['source']!r} (a scratch control or implant follows its 'of')"
        )


def _check_mode_methods(config: dict[str, Any], key: str, mode_methods: dict[str, Any]) -> None:
    for mode, methods in mode_methods.items():
        _must_be_in(key, mode, config["modes"])
        for i, method in enumerate(methods):
            _must_be_in(f"{key}.{mode}[{i}]", method, config["compression"]["methods"])


def _check_task_overrides(config: dict[str, Any], setting: str) -> None:
    """Per-task entries of a setting (``task_protocols``, ``task_models``, ``mode_tasks``)
    may name only the setting's tasks; a task's own model must be a model of the study."""
    block = config["settings"][setting]
    tasks = block.get("tasks", [block["task"]] if "task" in block else [])
    for part in ("task_protocols", "task_models"):
        for task in block.get(part, {}):
            _must_be_in(f"settings.{setting}.{part}.{task}", task, tasks)
    for mode, named in block.get("mode_tasks", {}).items():
        _must_be_in(f"settings.{setting}.mode_tasks", mode, config["modes"])
        for i, task in enumerate(named):
            _must_be_in(f"settings.{setting}.mode_tasks.{mode}[{i}]", task, tasks)
    for task, model in block.get("task_models", {}).items():
        _must_be_in(f"settings.{setting}.task_models.{task}", model, config["models"])


def _check_protocol(config: dict[str, Any], setting: str) -> None:
    """The protocol a setting's cells run under must be complete and valid, and so must each
    task's (``task_protocols``: validated as the resolved protocol its runs get)."""

    block = config["settings"][setting]
    checks = [(None, "protocol")] + [
        (t, f"task_protocols.{t}") for t in block.get("task_protocols", {})
    ]
    for task, key in checks:
        try:
            Protocol.from_dict({**protocol_for(config, setting, task), "seed": 0})
        except (TypeError, ValueError) as err:
            raise ConfigError(f"config key 'settings.{setting}.{key}': {err}") from None


def _world_params(config: dict[str, Any]) -> dict[str, Any]:
    return {**DEFAULT_WORLD, **config.get("world", {})}


def _check_world_contents(config: dict[str, Any], setting: str) -> None:
    """A synthetic task's data must be in the world the study builds: its task, and for
    translation the pivot and every language of the groups (pairs exist pivot-X only)."""

    block = config["settings"][setting]
    world = _world_params(config)
    tasks = [(f"settings.{setting}.tasks[{i}]", t) for i, t in enumerate(block.get("tasks", []))]
    tasks += [(f"settings.{setting}.task", block["task"])] if "task" in block else []
    for key, task in tasks:
        if TASKS[task].source == "synthetic" and task in GLUE_GENERATORS:
            _must_be_in(key, task, world["tasks"])
            if "language" in world["tasks"][task]:  # the cross-lingual fact check's claims
                language = world["tasks"][task]["language"]
                _must_be_in(f"world.tasks.{task}.language", language, list(world["languages"]))
    if "pivot" not in block or TASKS[block["task"]].source != "synthetic":
        return
    languages = list(world["languages"])
    _must_be_in(f"settings.{setting}.pivot", block["pivot"], languages[:1])
    for group, pair in block["groups"].items():
        for i, language in enumerate(pair):
            _must_be_in(f"settings.{setting}.groups.{group}[{i}]", language, languages[1:])


# Fields stage-model sets itself from the tokenizer and the pre-training length
# (pipeline/models/architectures.py); a size that names one of them would clash.
_SET_BY_STAGING = {
    "vocab_size",
    "max_position_embeddings",
    "pad_token_id",
    "bos_token_id",
    "eos_token_id",
    "decoder_start_token_id",
}
# (size, heads) pairs whose heads must divide the size; transformers accepts any pair and
# fails only when the model is built (or, for key/value heads, at the first forward).
_DIVISIBLE = (
    ("hidden_size", "num_attention_heads"),
    ("hidden_size", "decoder_attention_heads"),
    ("num_attention_heads", "num_key_value_heads"),
)


def _literal(node: Any) -> Any:
    try:
        return ast.literal_eval(node) if node is not None else None
    except ValueError:
        return None  # a computed default (a factory): no literal to check against


def config_class_fields(arch: str) -> tuple[dict[str, Any], dict[str, str]]:
    """(field -> literal default, attribute_map) of an architecture's transformers config
    class: the keys its ``size`` may name.

    Read from transformers' source with ``ast`` where it has the dataclass layout of
    transformers 5, because importing a config class imports torch (seconds, up to tens of
    seconds on a busy machine) at every DAG build for a check of a few keys; otherwise from
    the imported class.
    """
    from pathlib import Path

    class_name = ARCHITECTURES[arch].config_class
    spec = importlib.util.find_spec("transformers")  # finds the package, imports nothing
    root = Path(spec.submodule_search_locations[0]) if spec else None
    sources = (
        [
            (root / "models" / arch / f"configuration_{arch}.py", class_name),
            (root / "configuration_utils.py", "PreTrainedConfig"),
        ]
        if root
        else []
    )
    fields: dict[str, Any] = {}
    attribute_map: dict[str, str] = {}
    for path, name in sources:
        tree = ast.parse(path.read_text()) if path.is_file() else ast.Module(body=[])
        node = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name), None)
        if node is None:
            fields = {}
            break
        for item in node.body:
            target = getattr(item, "target", None) or next(iter(getattr(item, "targets", [])), None)
            if not isinstance(target, ast.Name):
                continue
            if target.id == "attribute_map":
                attribute_map = attribute_map or (_literal(item.value) or {})
            elif isinstance(item, ast.AnnAssign) and "ClassVar" not in ast.unparse(item.annotation):
                fields.setdefault(target.id, _literal(item.value))  # the subclass's wins
    if fields:
        return fields, attribute_map
    import transformers

    config_class = getattr(transformers, class_name)
    defaults = config_class().to_dict()
    return {f.name: defaults.get(f.name) for f in dataclasses.fields(config_class)}, dict(
        config_class.attribute_map
    )


def _check_model_size(key: str, arch: str, size: dict[str, Any]) -> None:
    """A model's ``size`` must be fields of its transformers config class (which silently
    keeps a misspelt key and uses the default) that build a valid model."""
    fields, attribute_map = config_class_fields(arch)
    allowed = (set(fields) | set(attribute_map)) - _SET_BY_STAGING
    allowed -= {"transformers_version", "architectures"}
    for name in size:
        _must_be_in(f"{key}.{name}", name, allowed)
    values = {**fields, **{attribute_map.get(k, k): v for k, v in size.items()}}
    for total, heads in _DIVISIBLE:
        if total == "hidden_size" and "head_dim" in size:
            continue  # an explicit head size (Llama) need not divide the hidden size
        total_key, heads_key = attribute_map.get(total, total), attribute_map.get(heads, heads)
        n_total, n_heads = values.get(total_key), values.get(heads_key)
        if isinstance(n_total, int) and isinstance(n_heads, int) and n_heads and n_total % n_heads:
            raise ConfigError(
                f"config key '{key}.{heads_key}': {n_heads} heads do not divide "
                f"{total_key} {n_total}; allowed: a divisor of {n_total}"
            )


def _check_lmc_cells(config: dict[str, Any]) -> None:
    """An LMC cell interpolates between a dense run and a sparse-mode run the study itself
    makes; anything else would plan fine-tunes outside the study."""

    runs = {
        (c.setting, c.task, c.difficulty, c.compression, c.seed)
        for c in cells(config)
        if c.mode == "sparse"
    }
    for i, cell in enumerate(config.get("lmc", {}).get("cells", [])):
        key = f"lmc.cells[{i}]"
        setting = cell["setting"]
        _must_be_in(f"{key}.setting", setting, config["settings"])
        ours = {run[1:] for run in runs if run[0] == setting}
        if not ours:
            raise ConfigError(
                f"config key '{key}.setting': setting {setting!r} runs no cell in the sparse "
                "mode, the end point LMC interpolates to; allowed: a setting whose modes "
                "include 'sparse'"
            )
        _must_be_in(f"{key}.task", cell["task"], {r[0] for r in ours})
        ours = {r[1:] for r in ours if r[0] == cell["task"]}
        difficulty = lmc_difficulty(config, cell)
        if "fraction" in cell:
            fractions = {float(r[0].removeprefix("fraction-")) for r in ours}
            _must_be_in(f"{key}.fraction", cell["fraction"], fractions)
        elif difficulty is None:
            raise ConfigError(
                f"config key '{key}.difficulty' is required: task {cell['task']!r} has "
                f"several levels in setting {setting!r}; allowed: {sorted({r[0] for r in ours})}"
            )
        _must_be_in(f"{key}.difficulty", difficulty, {r[0] for r in ours})
        ours = {r[1:] for r in ours if r[0] == difficulty}
        pruned = {
            paths.split_compression(r[0])[0]: None
            for r in ours
            if METHODS[paths.split_compression(r[0])[0]].level_kind == "sparsity"
        }
        _must_be_in(f"{key}.method", cell["method"], pruned)
        ours = {r for r in ours if paths.split_compression(r[0])[0] == cell["method"]}
        levels = {float(paths.split_compression(r[0])[1]) for r in ours}
        _must_be_in(f"{key}.sparsity", cell["sparsity"], levels)
        label = configured_label(config, METHODS[cell["method"]], fmt(cell["sparsity"]))
        if "pretrain_seed" in cell:
            model = split(lmc_model(config, {**cell, "pretrain_seed": None}))[0]
            seeds = pretrain_seeds(config, model) or []
            _must_be_in(f"{key}.pretrain_seed", cell["pretrain_seed"], seeds)
        _must_be_in(f"{key}.seed", cell["seed"], {r[1] for r in ours if r[0] == label})
