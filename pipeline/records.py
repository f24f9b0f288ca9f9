"""One-row result records: what every run writes, and what `collect` turns into Parquet."""

from __future__ import annotations

import platform
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


def run_record(
    *,
    study: str,
    setting: str,
    model: str,
    task: Any,
    difficulty: str,
    compression: str,
    mode: str,
    seed: int,
    protocol: Any,
    evaluation: dict[str, Any],
    sparsity: dict[str, Any],
    training: dict[str, Any],
    wall_time_s: float,
    reference_score: float | None = None,
    chance: float | None = None,
) -> dict[str, Any]:
    """The run's record; ``chance`` is the task's chance level on the same evaluation set
    (pipeline/tasks/chance.py), in the headline metric's units. A quantized run's
    ``zeroed_fraction`` is the fraction of its prunable weights that are exactly zero (a
    trained weight is never exactly zero: the fraction the quantizer set to zero); null for
    every other run."""
    from pipeline.compress.registry import get_method

    method, level = paths.split_compression(compression)
    quantized = method != paths.DENSE and get_method(method).level_kind == "bits"
    axis, value = paths.split_difficulty(difficulty)
    return {
        "study": study,
        "setting": setting,
        "reference_score": reference_score,
        "scorer_signature": getattr(task, "metric_signature", None),
        "model": model,
        "task": task.name,
        "difficulty": difficulty,
        "difficulty_axis": axis,
        "difficulty_level": value,
        "compression": compression,
        "method": method,
        "level": level,
        "mode": mode,
        "seed": seed,
        "protocol": protocol.to_dict(),
        "protocol_hash": protocol.hash,
        "metric": task.metric,
        "value": evaluation["metrics"][task.metric],
        "chance": chance,
        "metrics": evaluation["metrics"],
        "loss": evaluation["loss"],
        "n_eval": evaluation["n_eval"],
        "achieved_sparsity": sparsity["achieved_sparsity"],
        "denominator_numel": sparsity["denominator_numel"],
        "zeroed_fraction": sparsity["achieved_sparsity"] if quantized else None,
        "training": training,
        "wall_time_s": wall_time_s,
        "versions": versions(),
    }
