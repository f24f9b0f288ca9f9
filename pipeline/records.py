"""One-row result records: what every run writes, and what `collect` turns into Parquet."""

from __future__ import annotations

import platform
from dataclasses import dataclass
from typing import Any

from pipeline import __version__, paths


def versions() -> dict[str, str]:
    import torch
    import transformers

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "junkdna": __version__,
    }


@dataclass(frozen=True)
class Outcome:
    """What a run measured, beside the cell it ran (its spec)."""

    evaluation: dict[str, Any]  # the adapter's metrics, loss and evaluation-set size
    sparsity: dict[str, Any]  # of the prunable weights after the mode (compress/prunable.py)
    training: dict[str, Any]  # the trainer's summary, the devices, the mode's own summary
    wall_time_s: float
    reference_score: float | None = None  # the task's reference (across-task setting)
    chance: float | None = None  # the task's chance level on the same evaluation set


def run_record(spec: Any, task: Any, outcome: Outcome) -> dict[str, Any]:
    """The record of the run ``spec`` (a pipeline.finetune.spec.RunSpec) of the configured
    ``task``; ``chance`` is in the headline metric's units (pipeline/tasks/chance.py). A
    quantized run's ``zeroed_fraction`` is the fraction of its prunable weights that are
    exactly zero (a trained weight is never exactly zero: the fraction the quantizer set to
    zero); null for every other run."""
    from pipeline.compress.registry import get_method

    method, level = paths.split_compression(spec.compression)
    quantized = method != paths.DENSE and get_method(method).level_kind == "bits"
    axis, value = paths.split_difficulty(spec.difficulty)
    evaluation, sparsity, protocol = outcome.evaluation, outcome.sparsity, spec.protocol
    return {
        "study": spec.study,
        "setting": spec.setting,
        "reference_score": outcome.reference_score,
        "scorer_signature": getattr(task, "metric_signature", None),
        "model": spec.model_name,
        "task": task.name,
        "difficulty": spec.difficulty,
        "difficulty_axis": axis,
        "difficulty_level": value,
        "compression": spec.compression,
        "method": method,
        "level": level,
        "mode": spec.mode_name,
        "seed": protocol.seed,
        "protocol": protocol.to_dict(),
        "protocol_hash": protocol.hash,
        "metric": task.metric,
        "value": evaluation["metrics"][task.metric],
        "chance": outcome.chance,
        "metrics": evaluation["metrics"],
        "loss": evaluation["loss"],
        "n_eval": evaluation["n_eval"],
        "achieved_sparsity": sparsity["achieved_sparsity"],
        "denominator_numel": sparsity["denominator_numel"],
        "zeroed_fraction": sparsity["achieved_sparsity"] if quantized else None,
        "training": outcome.training,
        "wall_time_s": outcome.wall_time_s,
        "versions": versions(),
    }
