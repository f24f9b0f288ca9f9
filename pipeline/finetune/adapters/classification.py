"""Sequence classification and regression (GLUE style) with an encoder (RoBERTa, BERT).

Rows carry the task's ``text_fields`` (one sentence or a pair) and a ``label``; a new
classification head (``num_labels``; 1 = regression with MSE loss) sits on the backbone.
"""

from __future__ import annotations

from typing import Any

from pipeline.finetune.adapters.base import ScoringAdapter


class SequenceClassification(ScoringAdapter):
    name = "sequence_classification"

    def load(self, model_dir: str, task: Any, tokenizer: Any, **kwargs: Any) -> Any:
        from transformers import AutoModelForSequenceClassification

        model = AutoModelForSequenceClassification.from_pretrained(
            model_dir, num_labels=task.num_labels, **kwargs
        )
        if model.config.pad_token_id is None:  # decoder backbones find the last real token
            model.config.pad_token_id = tokenizer.pad_token_id
        return model

    def encode(self, tokenizer: Any, task: Any, rows: list[dict], max_length: int) -> list[dict]:
        texts = [[row[f] for row in rows] for f in task.text_fields]
        enc = tokenizer(*texts, truncation=True, max_length=max_length)
        label = float if task.num_labels == 1 else int  # the collated dtype follows
        return [
            {"input_ids": ids, "labels": label(row["label"])}
            for ids, row in zip(enc["input_ids"], rows, strict=True)
        ]

    def collate(self, tokenizer: Any, examples: list[dict]) -> dict[str, Any]:
        import torch

        batch = tokenizer.pad(
            [{"input_ids": e["input_ids"]} for e in examples], return_tensors="pt"
        )
        labels = [e["labels"] for e in examples]
        dtype = torch.float32 if isinstance(labels[0], float) else torch.long
        batch["labels"] = torch.tensor(labels, dtype=dtype)
        return dict(batch)
