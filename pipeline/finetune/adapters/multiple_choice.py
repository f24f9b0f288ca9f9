"""Multiple choice (WinoGrande, CommonsenseQA) with an encoder (RoBERTa): every (context,
ending) pair is encoded on its own, the head scores each pair, and a softmax across a row's
choices is trained with cross-entropy against the right one (AutoModelForMultipleChoice).

The task provides ``choices(row) -> (context, endings, label)``, ``num_choices`` and
``score(labels, predictions)``.
"""

from __future__ import annotations

from typing import Any

from pipeline.finetune.adapters.base import ScoringAdapter


class MultipleChoice(ScoringAdapter):
    name = "multiple_choice"

    def load(self, model_dir: str, task: Any, tokenizer: Any, **kwargs: Any) -> Any:
        from transformers import AutoModelForMultipleChoice

        return AutoModelForMultipleChoice.from_pretrained(model_dir, **kwargs)

    def encode(self, tokenizer: Any, task: Any, rows: list[dict], max_length: int) -> list[dict]:
        examples = []
        for row in rows:
            context, endings, label = task.choices(row)
            enc = tokenizer(
                [context] * len(endings), endings, truncation=True, max_length=max_length
            )
            examples.append({"input_ids": enc["input_ids"], "labels": label})
        return examples

    def collate(self, tokenizer: Any, examples: list[dict]) -> dict[str, Any]:
        import torch

        k = len(examples[0]["input_ids"])
        flat = [{"input_ids": ids} for e in examples for ids in e["input_ids"]]
        batch = tokenizer.pad(flat, return_tensors="pt")  # (rows * choices, length)
        out = {key: value.view(len(examples), k, -1) for key, value in batch.items()}
        out["labels"] = torch.tensor([e["labels"] for e in examples], dtype=torch.long)
        return out
