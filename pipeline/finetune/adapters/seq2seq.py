"""Encoder-decoder generation (mBART: translation): the source feeds the encoder, the
target is the decoder's label sequence (the model shifts it right for teacher forcing).

An mBART tokenizer ends the source with the source language's code and the target with the
target's (``src_lang``/``tgt_lang``, from the task's ``language_codes``); mBART's right shift
moves the target code to the front, so the decoder learns to start from it. Generation
starts the decoder from the same code, per row (a batch mixes directions, so one
``forced_bos_token_id`` for the batch could not serve it): what was trained is what is
scored. A tokenizer without language codes (the synthetic world's) reads a tag instead.
"""

from __future__ import annotations

from typing import Any

from pipeline.finetune.adapters.generation import GenerationAdapter


def row_codes(tokenizer: Any, task: Any, row: dict) -> tuple[str, str] | None:
    """(source, target) language codes of ``row`` when the tokenizer knows them."""
    codes = getattr(task, "language_codes", lambda row: None)(row)
    known = getattr(tokenizer, "lang_code_to_id", None)
    if codes is None or not known:
        return None
    missing = [c for c in codes if c not in known]
    if missing:
        raise ValueError(f"task {task.name}: the tokenizer has no language code {missing}")
    return codes


def tokenize_by_direction(
    tokenizer: Any, task: Any, rows: list[dict], max_length: int, with_targets: bool
) -> list[dict]:
    """Token ids of every row, tokenized in groups of one (source, target) code pair."""
    groups: dict[tuple[str, str] | None, list[int]] = {}
    for i, row in enumerate(rows):
        groups.setdefault(row_codes(tokenizer, task, row), []).append(i)
    out: list[dict] = [{}] * len(rows)
    for codes, indices in groups.items():
        if codes is not None:
            tokenizer.src_lang, tokenizer.tgt_lang = codes
        sources, targets = zip(*(task.source_target(rows[i]) for i in indices), strict=True)
        enc = tokenizer(
            list(sources),
            text_target=list(targets) if with_targets else None,
            truncation=True,
            max_length=max_length,
        )
        for j, i in enumerate(indices):
            out[i] = {"input_ids": enc["input_ids"][j]}
            if with_targets:
                out[i]["labels"] = enc["labels"][j]
            if codes is not None:
                out[i]["decoder_start"] = tokenizer.lang_code_to_id[codes[1]]
    return out


class Seq2SeqGeneration(GenerationAdapter):
    name = "seq2seq"

    def load(self, model_dir: str, task: Any, tokenizer: Any, **kwargs: Any) -> Any:
        from transformers import AutoModelForSeq2SeqLM

        return AutoModelForSeq2SeqLM.from_pretrained(model_dir, **kwargs)

    def unlabelled(self, model: Any, batch: dict[str, Any]) -> dict[str, Any]:
        """Without labels the model cannot shift them into the decoder's inputs: done here,
        by the model's own shift (mBART moves the language code to the front)."""
        inputs = super().unlabelled(model, batch)
        core = getattr(model, "module", model)  # under DDP, the wrapped model
        inputs["decoder_input_ids"] = core.prepare_decoder_input_ids_from_labels(
            labels=batch["labels"]
        )
        return inputs

    def encode(self, tokenizer: Any, task: Any, rows: list[dict], max_length: int) -> list[dict]:
        examples = tokenize_by_direction(tokenizer, task, rows, max_length, with_targets=True)
        return [{"input_ids": e["input_ids"], "labels": e["labels"]} for e in examples]

    def prompt_batch(
        self, tokenizer: Any, task: Any, rows: list[dict], max_length: int
    ) -> dict[str, Any]:
        import torch

        examples = tokenize_by_direction(tokenizer, task, rows, max_length, with_targets=False)
        batch = dict(
            tokenizer.pad([{"input_ids": e["input_ids"]} for e in examples], return_tensors="pt")
        )
        if all("decoder_start" in e for e in examples):
            batch["decoder_input_ids"] = torch.tensor([[e["decoder_start"]] for e in examples])
        return batch

    def generated_tokens(self, output: Any, prompts: dict[str, Any]) -> Any:
        return output  # the decoder sequence; its special tokens are skipped when decoding
