"""Expand a validated config into the study's cells and their paths (the top-level targets
built from them: pipeline/targets.py).

A cell is one fine-tuning run: (setting, model, task, difficulty, compression, mode, seed).
Settings are a registry: each maps its config block to (model, task, difficulty) triples.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pipeline import paths
from pipeline.compress.levels import CONFIG_KEYS, FORMAT
from pipeline.compress.options import configured_label, options_tag
from pipeline.compress.prunable import DEFAULT_POLICY, includes_head
from pipeline.compress.registry import get_method
from pipeline.finetune.modes import MODES, fits
from pipeline.finetune.spec import RunSpec
from pipeline.instances import instance, instances, paired
from pipeline.instances import split as split_instance
from pipeline.paths import fmt
from pipeline.resolve import ConfigError


@dataclass(frozen=True)
class Cell:
    setting: str
    model: str
    task: str
    difficulty: str
    compression: str
    mode: str
    seed: int
    budget: float = paths.BASE_BUDGET  # x the protocol's optimizer steps (or epochs)

    @property
    def wildcards(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if k != "setting"}
        return {**out, "budget": paths.budget_component(self.budget)}

    def path(self, template: str, results_dir: str) -> str:
        return f"{results_dir}/" + template.format(**self.wildcards)


def data_fraction_difficulties(block: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """Setting 1: fine-tuning data fractions (``fraction-0.25``)."""
    for task in block["tasks"]:
        for fraction in block["fractions"]:
            yield block["model"], task, f"fraction-{fmt(fraction)}"


def language_difficulties(block: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """Setting 2: translation within a language group (``lang-majority``/``lang-minority``)."""
    for group in block["groups"]:
        yield block["model"], block["task"], f"lang-{group}"


def book_difficulties(block: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """Setting 3: open- vs closed-book QA (``book-open``/``book-closed``)."""
    for book in block["books"]:
        yield block["model"], block["task"], f"book-{book}"


def across_task_difficulties(block: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """Setting 4: whole tasks, whose difficulty is measured against a reference score. A
    task may name its own model (``task_models``: MAWPS/SVAMP generate equations, which an
    encoder-only model cannot)."""
    for task in block["tasks"]:
        yield block.get("task_models", {}).get(task, block["model"]), task, "task-all"


def fact_recall_difficulties(block: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """Zero-shot cloze fact recall by how often the corpus states a fact (``freq-rare``)."""
    for frequency in block["frequencies"]:
        yield block["model"], block["task"], f"freq-{frequency}"


SETTINGS: dict[str, Callable[[dict[str, Any]], Iterator[tuple[str, str, str]]]] = {
    "data_fraction": data_fraction_difficulties,
    "languages": language_difficulties,
    "book": book_difficulties,
    "across_tasks": across_task_difficulties,
    "fact_recall": fact_recall_difficulties,
}


def task_options(config: dict[str, Any], setting: str) -> dict[str, Any]:
    """What a task needs from its setting beyond the difficulty label (language groups)."""
    block = config["settings"][setting]
    keys = ("pivot", "groups", "pairing", "directions", "min_shared")
    return {k: block[k] for k in keys if k in block}


def compressions(config: dict[str, Any]) -> list[str]:
    """Every compression label ``METHOD-LEVEL`` of the study (pipeline/compress/levels.py).

    A method takes the shared level list of its kind: ``sparsities`` (unstructured methods),
    ``nm_patterns`` ("N:M", N kept of every M: magnitude_nm, wanda_nm, sparsegpt_nm) or
    ``bits`` (rtn), unless ``compression.levels.<method>`` lists its own.
    """

    comp = config["compression"]
    policy = comp.get("prunable", DEFAULT_POLICY)
    labels = []
    for name in comp["methods"]:
        method = get_method(name)
        if includes_head(policy) and (method.needs_calibration or method.changes_weights):
            raise ConfigError(
                f"config key 'compression.prunable': {policy!r} works with "
                f"data-free mask methods only, not {name!r}"
            )
        try:
            options = method.parse_options(comp.get("options", {}).get(name, {}))
        except ValueError as err:
            raise ConfigError(str(err)) from None
        own = name in comp.get("levels", {})
        key = f"levels.{name}" if own else CONFIG_KEYS[method.level_kind]
        values = comp["levels"][name] if own else comp.get(key)
        if not values:
            raise ConfigError(
                f"config key 'compression.{key}' is required: method {name!r} "
                f"takes levels of kind {method.level_kind!r}"
            )
        for i, value in enumerate(values):
            try:
                level = FORMAT[method.level_kind](value)
            except ValueError as err:
                raise ConfigError(f"config key 'compression.{key}[{i}]': {err}") from None
            labels.append(paths.compression_label(name, level, options_tag(options)))
    return list(dict.fromkeys(labels))


def cells(config: dict[str, Any]) -> list[Cell]:
    """Every run of the study, dense baselines and controls included.

    A setting may restrict the study's ``methods`` and ``modes`` to a subset, and
    ``mode_methods`` (the study's, or the setting's own) may restrict which methods a
    transfer mode runs (e.g. the four-mode comparison of paper §5 only for magnitude
    pruning), and the setting's ``mode_tasks`` on which of its tasks. In the ``zero_shot``
    regime every compression (and the dense baseline) is evaluated without fine-tuning; such a
    run is deterministic (no training draws, no data subset), so it runs once, with the
    study's first seed, not once per seed.
    """

    out = []
    labels = compressions(config)
    for setting, block in config["settings"].items():
        # A setting's own ``mode_methods`` replaces the study's (paper §5 per setting).
        mode_methods = block.get("mode_methods", config.get("mode_methods", {}))
        mode_tasks = block.get("mode_tasks", {})  # the tasks a mode runs on (default all)
        methods = set(block.get("methods", config["compression"]["methods"]))
        modes = [m for m in block.get("modes", config["modes"]) if m != "dense"]
        own = [label for label in labels if paths.split_compression(label)[0] in methods]
        runs = []
        for regime in block.get("regimes", ["few_shot"]):
            if regime == "zero_shot":
                runs += [(paths.DENSE, "zero_shot")] + [(label, "zero_shot") for label in own]
            else:
                runs += [(paths.DENSE, "dense")] + [
                    (label, mode)
                    for mode in modes
                    for label in own
                    if paths.split_compression(label)[0] in mode_methods.get(mode, methods)
                    and fits(mode, label)  # ptq/qat quantize: rtn levels only
                ]
        # A control is read as its setting reads the model: fine-tuned, or as is (zero-shot).
        control_mode = "dense" if "few_shot" in block.get("regimes", ["few_shot"]) else "zero_shot"
        first_seed = config["seeds"][0]
        # A model pre-trained under several seeds runs every cell once per instance, with
        # the control instance of the same seed (pipeline/instances.py).
        for base, task, difficulty in SETTINGS[setting](block):
            for model, controls in paired(config, base, block.get("control_model")):
                for seed in config["seeds"]:
                    if control_mode != "zero_shot" or seed == first_seed:
                        out += [
                            Cell(setting, c, task, difficulty, paths.DENSE, control_mode, seed)
                            for c in controls
                        ]
                    out += [
                        Cell(setting, model, task, difficulty, label, mode, seed)
                        for label, mode in runs
                        if (mode != "zero_shot" or seed == first_seed)
                        and task in mode_tasks.get(mode, [task])
                    ]
        out += budget_cells(block, [c for c in out if c.setting == setting])
    return list(dict.fromkeys(out))  # an unreplicated control serves every instance once


def budget_cells(block: dict[str, Any], base: list[Cell]) -> list[Cell]:
    """The larger-training-budget arms of a setting (its ``budgets``: ``{4x: {modes:
    [sparse_to_dense], sparsities: [0.9]}}``): the 1x cells of those modes (of the levels
    listed, all when none are), and the dense run of every such cell and seed, so each arm
    is normalized by a dense run trained as long as it (pipeline/analysis/tables.py)."""
    out: list[Cell] = []
    for label, arm in block.get("budgets", {}).items():
        factor = paths.budget_factor(label)
        modes = set(arm["modes"])
        levels = {fmt(s) for s in arm.get("sparsities", [])}
        control = block.get("control_model")
        chosen = [
            c
            for c in base
            if c.mode in modes
            and split_instance(c.model)[0] != control
            and (not levels or paths.split_compression(c.compression)[1] in levels)
        ]
        runs = {(c.model, c.task, c.difficulty, c.seed) for c in chosen}
        dense = [
            c
            for c in base
            if c.mode == "dense"
            and c.compression == paths.DENSE
            and (c.model, c.task, c.difficulty, c.seed) in runs
        ]
        out += [replace(c, budget=factor) for c in dense + chosen]
    return out


def lmc_difficulty(config: dict[str, Any], spec: dict[str, Any]) -> str | None:
    """The difficulty label an LMC cell names: its ``difficulty`` (any setting's label,
    ``task-all``, ``lang-minority``), its ``fraction`` (setting 1's ``fraction-0.1``), or,
    when it names neither, its task's only level in its setting (None if there are several)."""
    if "difficulty" in spec:
        return spec["difficulty"]
    if "fraction" in spec:
        return f"fraction-{fmt(spec['fraction'])}"
    block = config["settings"][spec["setting"]]
    levels = {d for _, t, d in SETTINGS[spec["setting"]](block) if t == spec["task"]}
    return levels.pop() if len(levels) == 1 else None


def lmc_model(config: dict[str, Any], spec: dict[str, Any]) -> str:
    """The model instance of an LMC cell's task in its setting (a task may name its own):
    the cell's ``pretrain_seed``, else the model's first pre-training seed."""
    block = config["settings"][spec["setting"]]
    model = block.get("task_models", {}).get(spec["task"], block["model"])
    if spec.get("pretrain_seed") is not None:
        return instance(model, spec["pretrain_seed"])
    return instances(config, model)[0]


def _lmc_wildcards(config: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for spec in config.get("lmc", {}).get("cells", []):
        out.append(
            {
                "model": lmc_model(config, spec),
                "task": spec["task"],
                "difficulty": lmc_difficulty(config, spec),
                "compression": configured_label(
                    config, get_method(spec["method"]), fmt(spec["sparsity"])
                ),
                "seed": spec["seed"],
            }
        )
    return out


def lmc_targets(config: dict[str, Any]) -> list[str]:
    results = config["results_dir"]
    return [f"{results}/" + paths.LMC.format(**wc) for wc in _lmc_wildcards(config)]


def lmc_end_points(config: dict[str, Any]) -> list[dict[str, Any]]:
    """Wildcards of the fine-tuning runs an LMC job reads (its dense and sparse end points):
    the only runs whose fine-tuned model is saved."""
    ends = []
    for wc in _lmc_wildcards(config):
        ends.append({**wc, "compression": paths.DENSE, "mode": "dense", "budget": ""})
        ends.append({**wc, "mode": "sparse", "budget": ""})
    return [dict(t) for t in dict.fromkeys(tuple(sorted(e.items())) for e in ends)]


def kept_model_runs(config: dict[str, Any], cells: list[Cell]) -> list[dict[str, Any]]:
    """Wildcards of the runs whose fine-tuned model a downstream job reads: the LMC end
    points, and the dense run of every cell whose mode starts from it (post-training
    quantization). Every other run saves no model."""

    runs = lmc_end_points(config) + [
        {**cell.wildcards, "compression": paths.DENSE, "mode": "dense"}
        for cell in cells
        if MODES[cell.mode].from_dense_run
    ]
    return [dict(t) for t in dict.fromkeys(tuple(sorted(r.items())) for r in runs)]


def kept_model_constraint(config: dict[str, Any], cells: list[Cell], model_pattern: str) -> str:
    """A ``model`` wildcard constraint under which a ``runs/{model}/...`` path matches only
    the run folders of :func:`kept_model_runs` (never, when there are none): ``model_pattern``
    behind a look-ahead at the rest of the run path. Snakemake's constraints are one regex
    per wildcard; the look-ahead makes this one select whole cells, exactly."""

    runs = [
        paths.RUN.format(**wc).removeprefix("runs/") + "/" for wc in kept_model_runs(config, cells)
    ]
    if not runs:
        return "(?!)"
    return f"(?=(?:{'|'.join(re.escape(run) for run in runs)})){model_pattern}"


def setting_of(cells: list[Cell]) -> dict[tuple[str, str, str], str]:
    """(model, task, difficulty) -> setting name, for labelling result rows."""
    return {(c.model, c.task, c.difficulty): c.setting for c in cells}


@dataclass(frozen=True, eq=False)  # one object per run of the workflow: compared by identity
class Study:
    """The study one workflow run builds, typed and frozen: made once (the Snakefile) from
    the merged, validated config (pipeline/overrides.py), so every rule reads the same values
    and no job re-reads a config file. The cluster's resources read their own typed view of
    the same config (pipeline/cluster/resources.py)."""

    name: str  # config `study`: every result row's `study`, the tracker's project
    results_dir: str  # the root of every output path
    seeds: tuple[int, ...]  # fine-tuning seeds; a zero-shot cell runs the first one only
    device: str  # where model-running jobs run (pipeline/device.py): cpu, cuda, auto
    # Wall-time minutes between a fine-tune's checkpoints: how a run goes, never what it
    # computes, so a change reruns nothing (rules/finetune.smk passes it as derived).
    checkpoint_minutes: float
    tracking: str  # the fine-tunes' tracker backend (pipeline/finetune/tracking.py); none: off
    tracking_dir: str  # the tracker's folder
    cells: tuple[Cell, ...]  # every run of the study (:func:`cells`)
    # The merged config, for what has no field yet (the settings' blocks, the compression).
    config: Mapping[str, Any]

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Study:
        """The study of a merged config that ``check_config`` accepted (the Snakefile)."""
        tracking = config.get("tracking", {})
        return cls(
            name=config["study"],
            results_dir=config["results_dir"],
            seeds=tuple(config["seeds"]),
            device=config.get("device", "cpu"),
            checkpoint_minutes=config.get("checkpoint_minutes", 20),
            tracking=tracking.get("backend", "none"),
            tracking_dir=tracking.get("dir", f"{config['results_dir']}/tracking"),
            cells=tuple(cells(config)),
            config=MappingProxyType(config),
        )

    @cached_property
    def setting_of(self) -> dict[tuple[str, str, str], str]:
        """(model, task, difficulty) -> setting name (:func:`setting_of`)."""
        return setting_of(list(self.cells))

    def run_spec(self, cell: Cell) -> RunSpec:
        """The run spec of ``cell`` (pipeline/finetune/spec.py) before its files are known: the
        cell, the protocol resolved for it with its seed, the task's options from the setting,
        the data fraction's draw, the device, and how every fine-tune of the study goes
        (checkpoint interval, tracking)."""
        from pipeline.finetune.protocol import Protocol
        from pipeline.resolve import protocol_for

        block = self.config["settings"][cell.setting]
        protocol = protocol_for(self.config, cell.setting, cell.task, cell.budget)
        tracked = self.tracking != "none"
        return RunSpec(
            study=self.name,
            setting=cell.setting,
            model_name=cell.model,
            task_name=cell.task,
            difficulty=cell.difficulty,
            compression=cell.compression,
            mode_name=cell.mode,
            protocol=Protocol.from_dict(protocol | {"seed": cell.seed}),
            task_options=task_options(self.config, cell.setting),
            subset=block.get("subset", "random"),
            subset_seed=block.get("subset_seed", cell.seed),
            budget=cell.budget,
            device=self.device,
            checkpoint_minutes=self.checkpoint_minutes,
            tracking=self.tracking,
            tracking_dir=Path(self.tracking_dir) if tracked else None,
        )
