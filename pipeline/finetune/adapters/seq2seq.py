"""Encoder-decoder generation (mBART: translation): the source feeds the encoder, the
target is the decoder's label sequence (the model shifts it right for teacher forcing)."""

from __future__ import annotations

from typing import Any

from pipeline.finetune.adapters.generation import GenerationAdapter


class Seq2SeqGeneration(GenerationAdapter):
    name = "seq2seq"

    def load(self, model_dir: str, task: Any, tokenizer: Any, **kwargs: Any) -> Any:
        from transformers import AutoModelForSeq2SeqLM

        return AutoModelForSeq2SeqLM.from_pretrained(model_dir, **kwargs)

    def encode(self, tokenizer: Any, task: Any, rows: list[dict], max_length: int) -> list[dict]:
        sources, targets = zip(*(task.source_target(row) for row in rows), strict=True)
        enc = tokenizer(
            list(sources), text_target=list(targets), truncation=True, max_length=max_length
        )
        return [
            {"input_ids": ids, "labels": labels}
            for ids, labels in zip(enc["input_ids"], enc["labels"], strict=True)
        ]

    def prompt_batch(
        self, tokenizer: Any, task: Any, rows: list[dict], max_length: int
    ) -> dict[str, Any]:
        sources = [task.source_target(row)[0] for row in rows]
        return dict(
            tokenizer(
                sources, truncation=True, max_length=max_length, padding=True, return_tensors="pt"
            )
        )

    def generated_tokens(self, output: Any, prompts: dict[str, Any]) -> Any:
        return output  # the decoder sequence; its special tokens are skipped when decoding
