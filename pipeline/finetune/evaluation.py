"""Evaluate a classification/regression model on a task split: metrics and mean loss."""

from __future__ import annotations

from typing import Any

from pipeline.finetune.data import collate, encode, epoch_batches


def evaluate_rows(model: Any, tokenizer: Any, task: Any, rows: list[dict], max_length: int,
                  batch_size: int) -> dict[str, Any]:
    import torch

    examples = encode(tokenizer, task.text_fields, rows, max_length)
    regression = task.kind == "regression"
    model.eval()
    preds, labels, loss_sum = [], [], 0.0
    with torch.no_grad():
        for chunk in epoch_batches(examples, batch_size, None):
            batch = collate(tokenizer, chunk, regression)
            out = model(**batch)
            loss_sum += out.loss.item() * len(chunk)
            logits = out.logits
            preds += (logits.squeeze(-1) if regression else logits.argmax(-1)).tolist()
            labels += batch["labels"].tolist()
    return {"metrics": task.score(labels, preds), "loss": loss_sum / len(examples),
            "n_eval": len(examples)}
