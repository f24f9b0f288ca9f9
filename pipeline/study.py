"""Expand a validated config into the study's cells and target paths.

A cell is one fine-tuning run: (setting, model, task, difficulty, compression, mode, seed).
Settings are a registry: each maps its config block to (model, task, difficulty) triples.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from pipeline import paths
from pipeline.analysis.table1 import TABLE1_CSV, TABLE1_TABLE
from pipeline.finetune.protocol import Protocol


@dataclass(frozen=True)
class Cell:
    setting: str
    model: str
    task: str
    difficulty: str
    compression: str
    mode: str
    seed: int

    @property
    def wildcards(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "setting"}

    def path(self, template: str, results_dir: str) -> str:
        return f"{results_dir}/" + template.format(**self.wildcards)


def fmt(value: float) -> str:
    """The one way a number becomes a path component (0.50 -> "0.5")."""
    return f"{value:g}"


def data_fraction_levels(block: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """Setting 1: fine-tuning data fractions (``fraction-0.25``)."""
    for task in block["tasks"]:
        for fraction in block["fractions"]:
            yield block["model"], task, f"fraction-{fmt(fraction)}"


def language_levels(block: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """Setting 2: translation within a language group (``lang-majority``/``lang-minority``)."""
    for group in block["groups"]:
        yield block["model"], block["task"], f"lang-{group}"


def book_levels(block: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """Setting 3: open- vs closed-book QA (``book-open``/``book-closed``)."""
    for book in block["books"]:
        yield block["model"], block["task"], f"book-{book}"


def across_task_levels(block: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """Setting 4: whole tasks, whose difficulty is measured against a reference score."""
    for task in block["tasks"]:
        yield block["model"], task, "task-all"


SETTINGS: dict[str, Callable[[dict[str, Any]], Iterator[tuple[str, str, str]]]] = {
    "data_fraction": data_fraction_levels,
    "languages": language_levels,
    "book": book_levels,
    "across_tasks": across_task_levels,
}

# A regime says how a compressed model meets its task: "few_shot" fine-tunes it in the
# study's transfer modes, "zero_shot" evaluates it as is (paper settings 2 and 3).
REGIMES = ("few_shot", "zero_shot")


def protocol_for(config: dict[str, Any], setting: str) -> dict[str, Any]:
    """The study's protocol with the setting's overrides: one protocol per cell, shared by
    every mode and compression of that cell."""
    study_protocol = Protocol.with_defaults(config["protocol"])
    return {**study_protocol, **config["settings"][setting].get("protocol", {})}


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
    from pipeline.compress.levels import CONFIG_KEYS, FORMAT
    from pipeline.compress.prunable import DEFAULT_POLICY, includes_head
    from pipeline.compress.registry import get_method
    from pipeline.config import ConfigError

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
            labels.append(paths.compression_label(name, level))
    return list(dict.fromkeys(labels))


def cells(config: dict[str, Any]) -> list[Cell]:
    """Every run of the study, dense baselines and controls included.

    A setting may restrict the study's ``methods`` and ``modes`` to a subset, and
    ``mode_methods`` may restrict which methods a transfer mode runs (e.g. the four-mode
    comparison of paper §5 only for magnitude pruning). In the ``zero_shot`` regime every
    compression (and the dense baseline) is evaluated without fine-tuning.
    """
    from pipeline.finetune.modes import fits

    out = []
    labels = compressions(config)
    mode_methods = config.get("mode_methods", {})
    for setting, block in config["settings"].items():
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
        for model, task, difficulty in SETTINGS[setting](block):
            for seed in config["seeds"]:
                if control := block.get("control_model"):
                    out.append(Cell(setting, control, task, difficulty, paths.DENSE, "dense", seed))
                out += [
                    Cell(setting, model, task, difficulty, label, mode, seed)
                    for label, mode in runs
                ]
    return out


def lmc_targets(config: dict[str, Any]) -> list[str]:
    results = config["results_dir"]
    targets = []
    for spec in config.get("lmc", {}).get("cells", []):
        block = config["settings"][spec["setting"]]
        wildcards = {
            "model": block["model"],
            "task": spec["task"],
            "difficulty": f"fraction-{fmt(spec['fraction'])}",
            "compression": paths.compression_label(spec["method"], fmt(spec["sparsity"])),
            "seed": spec["seed"],
        }
        targets.append(f"{results}/" + paths.LMC.format(**wildcards))
    return targets


def setting_of(cells: list[Cell]) -> dict[tuple[str, str, str], str]:
    """(model, task, difficulty) -> setting name, for labelling result rows."""
    return {(c.model, c.task, c.difficulty): c.setting for c in cells}


def figure_targets(config: dict[str, Any]) -> list[str]:
    """Every figure whose rows the config plans (each figure decides; see
    pipeline/figures/registry.py), the verdict, the safe-sparsity and summary tables:
    everything `snakemake --report` collects."""
    from pipeline.figures.registry import planned_figures

    results = config["results_dir"]
    figures = [paths.FIGURE.format(figure=n) for n in planned_figures(config)]
    analysis = [paths.VERDICT_MD, paths.SAFE_SPARSITY_CSV, paths.SUMMARY_CSV]
    return [f"{results}/{t}" for t in figures + analysis]


def table_targets(config: dict[str, Any]) -> list[str]:
    results = config["results_dir"]
    tables = [
        paths.NORMALIZED_TABLE,
        paths.SUMMARY_TABLE,
        paths.SAFE_SPARSITY_TABLE,
        paths.VERDICT_JSON,
    ]
    tables += [paths.LMC_TABLE] if lmc_targets(config) else []
    tables += [TABLE1_TABLE, TABLE1_CSV] if config.get("reference_scores") else []
    return [f"{results}/{t}" for t in tables]
