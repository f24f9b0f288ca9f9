"""Decoder-only generation (Llama: QA). An example is ``<bos> prompt target <eos>``; only
the target tokens (and the end token, so the model learns to stop) carry loss. A prompt too
long for ``max_length`` loses its beginning (long evidence), never the question near its end.

Prompt and target are tokenized separately, so a task whose tokenizer merges across the
boundary should end prompts with a separator (e.g. "A:" then a target starting with a space).
"""

from __future__ import annotations

from typing import Any

from pipeline.finetune.adapters.generation import GenerationAdapter

IGNORE = -100  # label of positions without loss (transformers' convention)


def prompt_ids(tokenizer: Any, prompt: str, room: int) -> list[int]:
    """``<bos>`` (if the tokenizer has one) and the last ``room - 1`` prompt tokens."""
    ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    bos = [] if tokenizer.bos_token_id is None else [tokenizer.bos_token_id]
    keep = max(room - len(bos), 0)
    return bos + (ids[-keep:] if keep else [])


class CausalLMGeneration(GenerationAdapter):
    name = "causal_lm"

    def load(self, model_dir: str, task: Any, tokenizer: Any, **kwargs: Any) -> Any:
        from transformers import AutoModelForCausalLM

        return AutoModelForCausalLM.from_pretrained(model_dir, **kwargs)

    def smoothed_loss(self, output: Any, batch: dict[str, Any], label_smoothing: float) -> Any:
        """The causal LM predicts token t+1 at position t: shift before smoothing."""
        from types import SimpleNamespace

        shifted = SimpleNamespace(logits=output.logits[:, :-1])
        return super().smoothed_loss(shifted, {"labels": batch["labels"][:, 1:]}, label_smoothing)

    def encode(self, tokenizer: Any, task: Any, rows: list[dict], max_length: int) -> list[dict]:
        examples = []
        for row in rows:
            prompt, target = task.source_target(row)
            target_ids = tokenizer(target, add_special_tokens=False)["input_ids"]
            target_ids = (target_ids + [tokenizer.eos_token_id])[: max_length - 1]
            ids = prompt_ids(tokenizer, prompt, max_length - len(target_ids))
            examples.append(
                {"input_ids": ids + target_ids, "labels": [IGNORE] * len(ids) + target_ids}
            )
        return examples

    def prompt_batch(
        self, tokenizer: Any, task: Any, rows: list[dict], max_length: int
    ) -> dict[str, Any]:
        ids = [
            {"input_ids": prompt_ids(tokenizer, task.source_target(row)[0], max_length)}
            for row in rows
        ]
        return dict(tokenizer.pad(ids, padding_side="left", return_tensors="pt"))

    def generated_tokens(self, output: Any, prompts: dict[str, Any]) -> Any:
        return output[:, prompts["input_ids"].shape[1] :]
