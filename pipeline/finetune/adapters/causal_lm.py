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


def cache_keyword(model: Any) -> str:
    """The KV cache's keyword: ``cache`` in transformers >= 5.2x, ``past_key_values``
    before (the pinned version and a GPU machine's own may differ)."""
    import inspect

    return "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"


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

    def loss_and_generate(
        self,
        model: Any,
        tokenizer: Any,
        examples: list[dict],
        prompts: dict[str, Any],
        kwargs: dict[str, Any],
    ) -> tuple[Any, Any]:
        """One prefill per question: the prompts run once into a KV cache; the targets'
        teacher-forced loss continues that cache; the cache, cropped back to the prompts,
        starts generation (an open-book prompt is ~830 tokens: prefilled twice, it was most
        of the evaluation's time). The loss is the target's given the generation prompt
        (the same prompt the answer is generated from). Beam search expands its inputs
        itself, so it takes the two-pass path."""
        import torch
        import torch.nn.functional as F

        if kwargs.get("num_beams", 1) != 1:
            return super().loss_and_generate(model, tokenizer, examples, prompts, kwargs)
        ids, mask = prompts["input_ids"], prompts["attention_mask"]
        device, width = ids.device, ids.shape[1]
        targets = [[t for t in e["labels"] if t != IGNORE] for e in examples]
        longest = max(len(t) for t in targets)
        labels = torch.full((len(targets), longest), IGNORE, dtype=torch.long, device=device)
        for i, target in enumerate(targets):
            labels[i, : len(target)] = torch.tensor(target, device=device)
        full_mask = torch.cat([mask, (labels != IGNORE).long()], dim=1)
        positions = (full_mask.cumsum(-1) - 1).clamp_min(0)  # left-padded prompts
        key = cache_keyword(model)
        prefill = model(
            input_ids=ids,
            attention_mask=mask,
            position_ids=positions[:, :width],
            use_cache=True,
            logits_to_keep=1,
        )
        cache = prefill[key]
        rest = model(
            input_ids=labels.clamp_min(0),  # padding positions carry no loss
            attention_mask=full_mask,
            position_ids=positions[:, width:],
            use_cache=True,
            **{key: cache},
        )
        logits = torch.cat([prefill.logits[:, -1:], rest.logits[:, :-1]], dim=1).float()
        loss = F.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=IGNORE
        )
        # Generation recomputes the last prompt token only (it needs its logits). A negative
        # crop (tokens to remove) means the same in every transformers 4.4x-5.x.
        cache.crop(-(cache.get_seq_length() - (width - 1)))
        return loss, model.generate(**prompts, **{key: cache}, **kwargs)
