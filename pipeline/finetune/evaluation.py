"""Evaluate a model on task rows: metrics and mean loss, through the task's adapter."""

from __future__ import annotations

from typing import Any

from pipeline.finetune.adapters import adapter_for


def evaluate_rows(
    model: Any, tokenizer: Any, task: Any, rows: list[dict], max_length: int, batch_size: int
) -> dict[str, Any]:
    """``{"metrics", "loss", "n_eval"}``: classification metrics, or generation scored by
    the task, depending on the task and the model's architecture."""
    return adapter_for(task, model.config).evaluate(
        model, tokenizer, task, rows, max_length, batch_size
    )
