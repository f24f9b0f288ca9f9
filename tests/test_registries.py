"""Each registry is the only list: the config schema's enums, the figures' mode orders and
the SLURM profile's GPU rule follow the registries, and every registry entry has what
docs/extending.md says an entry needs. A new method, mode, task or source that misses one
of these fails here, not silently in a figure or on a cluster."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import types
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipeline.cli import build_parser
from pipeline.compress.levels import CONFIG_KEYS, FORMAT, PARSE
from pipeline.compress.options import json_schema
from pipeline.compress.prunable import DEFAULT_POLICY, POLICIES
from pipeline.compress.registry import METHODS, gpus
from pipeline.config_schema import MARKER, SCHEMA_YAML, schema
from pipeline.figures.curves import CurveFigure
from pipeline.figures.paper import CURVE_FIGURES
from pipeline.finetune.adapters import TASK_KINDS
from pipeline.finetune.modes import MODES, TRANSFER_MODES
from pipeline.finetune.modes.base import TransferMode
from pipeline.finetune.modes.zero_shot import ZeroShot
from pipeline.finetune.protocol import OPTIMIZERS, PRECISIONS, SCHEDULES
from pipeline.metrics import METRICS
from pipeline.models.architectures import ARCHITECTURES
from pipeline.models.continued import CONTINUED
from pipeline.models.sources import SOURCES
from pipeline.study import SETTINGS
from pipeline.tasks.chance import CHANCE_RULES
from pipeline.tasks.protocol import Task, Tokens
from pipeline.tasks.registry import TASKS

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = schema()  # the YAML with its x-registry choices filled in
PROPS = SCHEMA["properties"]
# zero_shot is reached through a setting's `regimes`, never listed in `modes`.
CONFIGURED_MODES = set(MODES) - {ZeroShot.name}


def test_schema_method_enums_are_the_compression_registry():
    comp = PROPS["compression"]["properties"]
    assert set(comp["methods"]["items"]["enum"]) == set(METHODS)
    assert set(comp["levels"]["propertyNames"]["enum"]) == set(METHODS)
    assert set(comp["options"]["properties"]) == set(METHODS)
    for kind, key in CONFIG_KEYS.items():
        assert key in comp, f"compression.{key} (levels of kind {kind!r}) is not in the schema"


def test_schema_mode_enums_are_the_mode_registry():
    assert set(PROPS["modes"]["items"]["enum"]) == CONFIGURED_MODES
    assert set(SCHEMA["$defs"]["modes"]["items"]["enum"]) == CONFIGURED_MODES
    assert PROPS["mode_methods"] == {"$ref": "#/$defs/mode_methods"}  # settings share it
    for per_mode in ("mode_methods", "mode_tasks"):
        names = SCHEMA["$defs"][per_mode]["propertyNames"]["enum"]
        assert set(names) == CONFIGURED_MODES - {"dense"}, per_mode
    assert set(SCHEMA["$defs"]["regimes"]["items"]["enum"]) == {"few_shot", ZeroShot.name}


def test_schema_other_enums_are_their_registries():
    model = PROPS["models"]["additionalProperties"]["properties"]
    assert set(model["source"]["enum"]) == set(SOURCES) | {CONTINUED}  # rule continue_train
    assert set(model["arch"]["enum"]) == set(ARCHITECTURES)
    prunable = PROPS["compression"]["properties"]["prunable"]
    assert set(prunable["enum"]) == set(POLICIES)
    assert prunable["default"] == DEFAULT_POLICY  # the one default, also the verb's and rule's
    assert set(PROPS["settings"]["properties"]) == set(SETTINGS)
    protocol = SCHEMA["$defs"]["protocol"]["properties"]
    assert protocol["schedule"]["enum"] == list(SCHEDULES)
    assert protocol["optimizer"]["enum"] == list(OPTIMIZERS)
    assert protocol["precision"]["enum"] == list(PRECISIONS)


def test_every_mode_has_a_place_in_the_figures_hue_order():
    """seaborn drops a hue value missing from ``hue_order``: a new mode must still be drawn."""
    frame = pd.DataFrame({"mode": [*MODES, "a_mode_no_registry_knows"]})
    order = CurveFigure("f", "t", "c", None, col="task", hue="mode")._order(frame, "mode")
    assert sorted(order) == sorted(frame["mode"])
    assert order[: len(MODES)] == list(MODES)
    for figure in CURVE_FIGURES:
        assert set(figure.modes or ()) <= set(MODES), figure.name
    assert TRANSFER_MODES == ("dense_freeze", "sparse", "sparse_to_dense")  # paper §5


def test_slurm_gpu_rule_is_the_methods_calibration_need():
    profile = (ROOT / "slurm/config.v8+.yaml").read_text()
    assert "startswith" not in profile
    assert "compress.registry.gpus(wildcards.method)" in profile
    for name, method in METHODS.items():
        assert gpus(name) == int(method.needs_calibration)


@pytest.mark.parametrize("name", sorted(METHODS))
def test_method_entry_has_what_the_checklist_needs(name):
    method = METHODS[name]
    assert method.name == name and "-" not in name  # "-" separates method and level in paths
    assert method.level_kind in PARSE and method.level_kind in FORMAT
    assert method.description
    module, _, function = method.entry.partition(":")
    assert callable(getattr(importlib.import_module(module), function))
    options = method.options_class
    assert dataclasses.is_dataclass(options) and options.__dataclass_params__.frozen
    assert method.parse_options({}) == options(), "every option needs a default"
    assert json_schema(options)["additionalProperties"] is False  # typed: bool/int/float/str


@pytest.mark.parametrize("name", sorted(MODES))
def test_mode_entry_has_what_the_checklist_needs(name):
    mode = MODES[name]
    assert issubclass(mode, TransferMode) and mode.name == name
    assert mode.description and mode.uses_mask in (True, False, None)


@pytest.mark.parametrize("name", sorted(TASKS))
def test_task_entry_has_what_the_checklist_needs(name):
    task = TASKS[name]
    assert isinstance(task, Task), f"task {name!r} lacks members of pipeline.tasks.protocol.Task"
    assert task.name == name
    assert task.source in ("synthetic", "hub")
    assert task.kind in TASK_KINDS
    assert task.chance in CHANCE_RULES
    assert task.metric in task.metrics
    assert set(task.metrics) <= set(METRICS), "every metric is in pipeline/tasks/metrics.py"
    assert task.difficulty_axes
    assert task.human_score is None or 0 < task.human_score <= 1  # a fraction, never percent
    if task.source == "hub":  # the cost model sizes its jobs by its example lengths
        assert isinstance(task.tokens, Tokens), name


def test_sources_and_settings_have_what_the_checklist_needs():
    for name, stage in SOURCES.items():
        assert list(inspect.signature(stage).parameters) == ["spec", "world_dir", "out_dir"], name
    for name, expand in SETTINGS.items():
        assert expand.__doc__, f"setting {name!r}: say what its difficulty labels are"
        block = PROPS["settings"]["properties"][name]
        assert "model" in block["required"], name


def test_the_schema_yaml_lists_no_registry_by_hand():
    """A registry-backed choice is a marker in the YAML, filled from the registry."""
    registries = (set(METHODS), CONFIGURED_MODES, set(POLICIES), set(SOURCES), set(ARCHITECTURES))

    def enums(node):
        if isinstance(node, dict):
            yield from [node["enum"]] if "enum" in node else []
            for value in node.values():
                yield from enums(value)
        elif isinstance(node, list):
            for value in node:
                yield from enums(value)

    raw = yaml.safe_load(SCHEMA_YAML.read_text())
    for enum in enums(raw):
        for registry in registries:  # one shared word ("random", "hub") is not a list
            assert len(registry & set(enum)) < 2, f"schema enum {enum} lists {registry}"
    assert SCHEMA_YAML.read_text().count(MARKER) >= 7


@pytest.mark.parametrize(
    ("verb", "registry"),
    [
        ("prune", METHODS),
        ("finetune", {**TASKS, **MODES, **SETTINGS, **METHODS}),
        ("evaluate", TASKS),
        ("lmc", TASKS),
        ("stage-model", {**SOURCES, **ARCHITECTURES}),
    ],
)
def test_every_verbs_help_lists_its_registries_choices(verb, registry):
    help_text = build_parser(verb)._subparsers._group_actions[0].choices[verb].format_help()
    for name in registry:
        assert f"\n  {name} " in help_text, f"{verb} --help does not list {name!r}"
    if verb == "prune":
        for syntax in ("0.5", "2of4", "4bit"):
            assert syntax in help_text


def test_the_task_protocol_rejects_an_entry_that_lacks_a_member():
    complete = TASKS["syn_sentiment"]
    members = {name: getattr(complete, name) for name in dir(complete) if not name.startswith("_")}
    assert isinstance(types.SimpleNamespace(**members), Task)
    for missing in ("chance", "difficulty_axes", "reference_score"):
        partial = {k: v for k, v in members.items() if k != missing}
        assert not isinstance(types.SimpleNamespace(**partial), Task), missing
