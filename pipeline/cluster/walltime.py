"""How long each job of a study takes on the cluster's GPU, from the work it does.

A job's minutes = the tokens it pushes through the model / the model's throughput on the
GPU (the profile's ``throughput.yaml``), plus the model's load time:

- fine-tune: train rows (x data fraction) x epochs x padded tokens per example (random
  batches pad to about the 99th-percentile length, capped at max_length) at the ``train``
  rate; then one evaluation pass;
- evaluation (every fine-tune and zero-shot run): validation rows x mean tokens
  (length-sorted batches pad little) at the ``forward`` rate, plus, for generation tasks,
  validation rows x new tokens x beams at the ``generate`` rate;
- LMC: alphas x one evaluation pass, plus loading two models;
- Wanda/SparseGPT: calibration samples x tokens x (blocks + 1) / 2 forward passes (block by
  block, pipeline/compress/sequential.py); the data-free methods run on the CPU.

Rows are the plan's (pipeline/cluster/plan.py: as staged, else as published); token lengths
the measured ones each hub task carries (its ``tokens``, pipeline/tasks).

The requested walltime is ``margin x estimate x attempt``, capped at ``max_runtime``; a job
whose estimate alone exceeds ``max_runtime`` is refused at planning time (:class:`TooLong`):
it could never finish in one allocation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pipeline import paths
from pipeline.cluster.plan import Plan, continued_base
from pipeline.compress.registry import get_method
from pipeline.resolve import protocol_for
from pipeline.study import task_options
from pipeline.tasks.protocol import Tokens
from pipeline.tasks.registry import get_task


class TooLong(ValueError):
    """A job whose estimate exceeds the partition's walltime: planning it would only buy
    timeouts."""


@dataclass(frozen=True)
class TaskSize:
    n_train: int
    n_eval: int
    tokens: Tokens


def _synthetic_size(config: dict[str, Any], task: str, max_length: int) -> TaskSize:
    """Tasks of the synthetic world (default study): its configured sizes, short texts."""
    spec = config.get("world", {}).get("tasks", {}).get(task, {})
    half = max_length / 2
    return TaskSize(
        spec.get("train", 1000), spec.get("validation", 200), Tokens(half, max_length, 1, half)
    )


def _hub_size(plan: Plan, task: str, difficulty: str, setting: str) -> TaskSize:
    """Train and evaluation rows of a hub task's cell, from the staged counts: a translation
    group reads each of its languages' pairs in every configured direction."""
    from pipeline.catalog import task_datasets
    from pipeline.data.staged import dataset_name

    spec = get_task(task)
    block = plan.config["settings"][setting]
    tokens = spec.configure(difficulty, task_options(plan.config, setting)).tokens
    if tokens is None:
        raise ValueError(
            f"cost model: no token lengths for task {task!r}; give its definition `tokens` "
            "(pipeline/tasks)"
        )
    datasets = task_datasets(spec, block)
    factor = 1
    if hasattr(spec, "hub_configs"):
        group = block["groups"][difficulty.partition("-")[2]]
        wanted = {"-".join(sorted((block["pivot"], x))) for x in group}
        datasets = [d for d in datasets if d["config"] in wanted]
        factor = len(block.get("directions", ["from_pivot", "to_pivot"]))
    n_train = n_eval = 0
    for d in datasets:
        name = dataset_name(d["hub_id"], d["config"])
        for split in d["splits"]:
            n = plan.staged_rows(name, split) * factor
            if split == "train":
                n_train += n
            else:
                n_eval += n
    return TaskSize(n_train, n_eval, tokens)


def task_size(plan: Plan, task: str, difficulty: str, setting: str, max_length: int) -> TaskSize:
    if get_task(task).source == "synthetic":
        return _synthetic_size(plan.config, task, max_length)
    return _hub_size(plan, task, difficulty, setting)


def cell_setting(plan: Plan, wildcards: Any) -> str:
    """The setting of a job's cell (model, task, difficulty)."""
    return plan.settings[(wildcards["model"], wildcards["task"], wildcards["difficulty"])]


def generated_length(plan: Plan, task: str) -> tuple[int, int]:
    """(new tokens, beams) of a generation task; (0, 0) for the others."""
    spec = get_task(task)
    if spec.kind != "generation":
        return 0, 0
    return int(spec.max_new_tokens), int(getattr(spec, "num_beams", 1))


def evaluation_tokens(plan: Plan, task: str, difficulty: str, setting: str) -> tuple[float, float]:
    """(forward tokens, generated tokens x beams) of one pass over the validation rows."""
    protocol = protocol_for(plan.config, setting, task)
    size = task_size(plan, task, difficulty, setting, protocol["max_length"])
    t = size.tokens
    forward = size.n_eval * t.choices * (min(t.mean, protocol["max_length"]) + t.target)
    new_tokens, beams = generated_length(plan, task)
    return forward, size.n_eval * new_tokens * beams


def evaluation_minutes(plan: Plan, model: str, task: str, difficulty: str, setting: str) -> float:
    """One pass over the validation set: loss forward, plus generation for generation tasks."""
    forward, generated = evaluation_tokens(plan, task, difficulty, setting)
    speed = plan.speed(model)
    seconds = forward / speed.forward
    if generated:
        if speed.generate <= 0:
            raise ValueError(f"throughput table: model {model!r} needs a 'generate' rate")
        seconds += generated / speed.generate
    return seconds / 60


def training_tokens(plan: Plan, task: str, difficulty: str, setting: str) -> float:
    """Tokens one fine-tune pushes through the model (padded: random batches pad to about
    the 99th-percentile length), every epoch (or step) of the protocol."""
    protocol = protocol_for(plan.config, setting, task)
    size = task_size(plan, task, difficulty, setting, protocol["max_length"])
    axis, value = paths.split_difficulty(difficulty)
    n_train = size.n_train * (float(value) if axis == "fraction" else 1.0)
    if protocol.get("steps"):
        examples = protocol["steps"] * protocol["batch_size"]
    else:
        examples = math.ceil(n_train / protocol["batch_size"]) * protocol["batch_size"]
        examples *= protocol["epochs"]
    padded = min(size.tokens.p99, protocol["max_length"]) + size.tokens.target
    return examples * size.tokens.choices * padded


def training_minutes(plan: Plan, model: str, task: str, difficulty: str, setting: str) -> float:
    speed = plan.speed(model)
    if speed.train <= 0:
        raise ValueError(f"throughput table: model {model!r} needs a 'train' rate")
    return training_tokens(plan, task, difficulty, setting) / speed.train / 60


def _calibration_blocks(model: str) -> int:
    """Transformer blocks of a hub model (sequential calibration re-runs the ones before)."""
    return {"vicuna_7b": 32, "roberta-base": 12, "roberta_large": 24, "mbart_cc25": 24}.get(
        model, 12
    )


def calibration_tokens(plan: Plan, model: str) -> float:
    from pipeline.compress.calibration import DEFAULTS

    spec = {**DEFAULTS, **plan.config["compression"].get("calibration", {})}
    return spec["samples"] * spec["seq_len"] * (_calibration_blocks(model) + 1) / 2


def continue_train_minutes(plan: Plan, model: str) -> float:
    """Continued training (pipeline/models/continued.py): every update reads ``update_freq``
    batches of ``max_tokens`` padded tokens a side (source and target)."""
    from pipeline.models.continued import recipe_of

    recipe = recipe_of(plan.config, model)
    tokens = recipe.steps * recipe.update_freq * recipe.max_tokens * 2
    return plan.speed(model).load_minutes + tokens / plan.speed(model).train / 60


def estimate_minutes(plan: Plan, rule: str, wildcards: Any) -> float:
    """The expected minutes of one job of ``rule`` (no margin)."""
    w = dict(wildcards)
    key = (
        rule.removesuffix("_keep_model"),
        w.get("model"),
        w.get("task"),
        w.get("difficulty"),
        w.get("method") if rule.startswith("prune") else None,
        w.get("mode"),
        w.get("budget"),
    )
    if key not in plan.memo:
        plan.memo[key] = _estimate_minutes(plan, rule, w)
    return plan.memo[key]


def _estimate_minutes(plan: Plan, rule: str, wildcards: dict[str, Any]) -> float:
    if rule in ("finetune", "finetune_keep_model"):
        model, task, difficulty = wildcards["model"], wildcards["task"], wildcards["difficulty"]
        setting = cell_setting(plan, wildcards)
        minutes = plan.speed(model).load_minutes
        minutes += evaluation_minutes(plan, model, task, difficulty, setting)
        from pipeline.finetune.modes import MODES

        if MODES[wildcards["mode"]].trains:  # zero-shot and ptq only evaluate
            budget = paths.budget_of(wildcards.get("budget", ""))  # a larger-budget arm
            minutes += budget * training_minutes(plan, model, task, difficulty, setting)
        return minutes
    if rule == "lmc":
        model, task, difficulty = wildcards["model"], wildcards["task"], wildcards["difficulty"]
        alphas = plan.config.get("lmc", {}).get("alphas", 11)
        one = evaluation_minutes(plan, model, task, difficulty, cell_setting(plan, wildcards))
        return 2 * plan.speed(model).load_minutes + alphas * one
    if rule == "continue_train":
        return continue_train_minutes(plan, wildcards["model"])
    if rule in ("prune", "prune_weights"):
        if not get_method(wildcards["method"]).needs_calibration:
            return 10.0  # a sort or rounding of the weights on the CPU
        model = wildcards["model"]
        return plan.speed(model).load_minutes + calibration_tokens(
            plan, continued_base(plan.config, model)
        ) / (plan.speed(model).forward * 60)
    return 10.0  # staging, the world: small CPU jobs


def requested_minutes(plan: Plan, rule: str, wildcards: Any, attempt: int) -> int:
    """The walltime a job asks for: margin x estimate x attempt, at most ``max_runtime``;
    :class:`TooLong` when the estimate alone exceeds ``max_runtime``."""
    estimate = estimate_minutes(plan, rule, wildcards)
    if estimate > plan.max_runtime:
        cell = ", ".join(f"{k}={v}" for k, v in dict(wildcards).items())
        raise TooLong(
            f"{rule} ({cell}): estimated {estimate / 60:.1f} h on one {plan.gpu}, over the "
            f"partition's {plan.max_runtime / 60:g} h (max_runtime, slurm/throughput.yaml). "
            f"Shrink the job (e.g. settings.<setting>.max_train_rows_per_pair, epochs) or "
            f"raise max_runtime to a partition that allows it"
        )
    return int(min(plan.max_runtime, math.ceil(plan.margin * estimate * attempt) + 5))


def requested_mem_mb(plan: Plan, rule: str, wildcards: Any, attempt: int) -> int:
    """Host memory a job asks for: its model's ``host_mem_mb`` (LMC holds two models:
    1.5x), times the attempt."""
    model = dict(wildcards).get("model")
    base = plan.mem_mb(model) if model else int(plan.host_mem_mb.get("default", 16000))
    return int(base * (1.5 if rule == "lmc" else 1) * attempt)


def job_setting(plan: Plan, rule: str, wildcards: dict[str, Any]) -> str:
    """The setting a job's GPU-hours count towards (compression and staging are shared)."""
    if {"model", "task", "difficulty"} <= wildcards.keys():
        return cell_setting(plan, wildcards)
    if rule == "continue_train":  # counts towards the settings whose model it is
        settings = plan.config["settings"].items()
        return next((s for s, b in settings if b["model"] == wildcards["model"]), "staging")
    return "compression" if rule.startswith("prune") else "staging"
