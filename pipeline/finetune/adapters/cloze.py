"""Cloze prediction with a masked LM (RoBERTa's pre-training head), for fact recall.

The row's MASK placeholder becomes the tokenizer's mask token; the prediction is the
highest-scoring candidate word at that position, the loss the cross-entropy over the
candidates. Training (not used by the zero-shot readout, but well defined) is the model's
own masked-LM loss on the object. The task provides ``cloze(row) -> (text, candidates,
answer)`` and ``score(labels, predictions)``.
"""

from __future__ import annotations

from typing import Any

from pipeline.finetune.adapters.base import ScoringAdapter
from pipeline.finetune.adapters.prompt import mask_logits


class MaskedLMCloze(ScoringAdapter):
    label_key = "answer"  # the candidate index of the true object
    name = "masked_lm_cloze"

    def load(self, model_dir: str, task: Any, tokenizer: Any, **kwargs: Any) -> Any:
        from transformers import AutoModelForMaskedLM

        return AutoModelForMaskedLM.from_pretrained(model_dir, **kwargs)

    def encode(self, tokenizer: Any, task: Any, rows: list[dict], max_length: int) -> list[dict]:
        from pipeline.tasks.fact_recall import MASK

        examples = []
        for row in rows:
            text, candidates, answer = task.cloze(row)
            ids = tokenizer(
                text.replace(MASK, tokenizer.mask_token), truncation=True, max_length=max_length
            )["input_ids"]
            candidate_ids = tokenizer.convert_tokens_to_ids(candidates)
            examples.append(
                {
                    "input_ids": ids,
                    "position": ids.index(tokenizer.mask_token_id),
                    "candidates": candidate_ids,
                    "answer": candidates.index(answer),
                }
            )
        return examples

    def collate(self, tokenizer: Any, examples: list[dict]) -> dict[str, Any]:
        import torch

        batch = dict(
            tokenizer.pad([{"input_ids": e["input_ids"]} for e in examples], return_tensors="pt")
        )
        labels = torch.full_like(batch["input_ids"], -100)
        for i, e in enumerate(examples):
            labels[i, e["position"]] = e["candidates"][e["answer"]]
        batch["labels"] = labels
        return batch

    def score(self, model: Any, batch: dict[str, Any], members: list[dict]) -> tuple[Any, Any]:
        import torch
        import torch.nn.functional as F

        on = batch["input_ids"].device  # gather and the loss need the model's device
        positions = torch.tensor([e["position"] for e in members], device=on)
        at_mask = mask_logits(model, {**batch, "position": positions}).float()
        scores = at_mask.gather(1, torch.tensor([e["candidates"] for e in members], device=on))
        answers = torch.tensor([e["answer"] for e in members], device=on)
        return F.cross_entropy(scores, answers, reduction="sum"), scores.argmax(-1)
