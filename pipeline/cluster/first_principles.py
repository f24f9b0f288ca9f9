"""The cost report's cross-check: each job counted from first principles (FLOPs at an
assumed utilisation of the GPU's peak, or one read of every weight per decoding step),
beside the walltime model's estimate from measured throughput."""

from __future__ import annotations

import math
from typing import Any

from pipeline import paths
from pipeline.cluster.plan import Plan, continued_base
from pipeline.cluster.walltime import (
    calibration_tokens,
    cell_setting,
    evaluation_tokens,
    generated_length,
    task_size,
    training_tokens,
)
from pipeline.compress.registry import get_method
from pipeline.resolve import protocol_for


def _precision(plan: Plan, setting: str, task: str | None) -> str:
    """The peak a setting's jobs run at: fp16/bf16, TF32 matmuls, or plain fp32."""
    protocol = protocol_for(plan.config, setting, task)
    precision = protocol.get("precision", "fp32")
    return "tf32" if precision == "fp32" and protocol.get("tf32") else precision


def first_principles_minutes(plan: Plan, rule: str, wildcards: Any) -> float | None:
    """The same job counted from first principles, for the cost report's cross-check:
    6 x params per trained token and 2 x params per evaluated token at the table's assumed
    utilisation of the GPU's peak; generation at the larger of 2 x params per token and one
    read of every weight per decoding step (memory bandwidth). No load, no per-step
    overhead. None for a model without a parameter count, 0 for CPU jobs."""
    w = dict(wildcards)
    if "model" not in w:
        return 0.0  # no model runs (the GPU preflight)
    fp = plan.first_principles
    model = continued_base(plan.config, w.get("model", ""))  # a continued model: its base's
    params = fp.get("params", {}).get(model)
    if not fp or params is None:
        return None
    rate = fp["utilisation"] * 1e12  # x peak (TFLOP/s) below
    if rule == "continue_train":
        from pipeline.models.continued import recipe_of

        recipe = recipe_of(plan.config, w["model"])
        tokens = recipe.steps * recipe.update_freq * recipe.max_tokens * 2
        peak = fp["peak_tflops"][plan.gpu][recipe.precision]
        return 6 * params * tokens / (rate * peak) / 60
    if rule.startswith("prune"):
        if not get_method(w["method"]).needs_calibration:
            return 0.0
        setting = next(s for (m, _, _), s in plan.settings.items() if m == w["model"])
        peak = fp["peak_tflops"][plan.gpu][_precision(plan, setting, None)]
        return 2 * params * calibration_tokens(plan, w["model"]) / (rate * peak) / 60
    if rule not in ("finetune", "finetune_keep_model", "lmc"):
        return 0.0
    task, difficulty = w["task"], w["difficulty"]
    setting = cell_setting(plan, w)
    precision = _precision(plan, setting, task)
    peak = fp["peak_tflops"][plan.gpu][precision]
    forward, generated = evaluation_tokens(plan, task, difficulty, setting)
    seconds = 2 * params * forward / (rate * peak)
    if generated:
        protocol = protocol_for(plan.config, setting, task)
        size = task_size(plan, task, difficulty, setting, protocol["max_length"])
        new_tokens, _ = generated_length(plan, task)
        steps = math.ceil(size.n_eval / protocol["eval_batch_size"]) * new_tokens
        weight_bytes = params * (2 if precision in ("fp16", "bf16") else 4)
        seconds += max(
            2 * params * generated / (rate * peak),
            steps * weight_bytes / (fp["memory_tb_s"][plan.gpu] * 1e12),
        )
    if rule == "lmc":
        return plan.config.get("lmc", {}).get("alphas", 11) * seconds / 60
    from pipeline.finetune.modes import MODES

    if MODES[w["mode"]].trains:
        trained = training_tokens(plan, task, difficulty, setting)
        trained *= paths.budget_of(w.get("budget", ""))  # a larger-budget arm
        seconds += 6 * params * trained / (rate * peak)
    return seconds / 60
