"""Pre-training objectives: each turns corpus rows into one batch and returns the loss.

``mlm`` (RoBERTa): masked-LM over single sentences. ``clm`` (Llama): next-token prediction
over "<s> text </s>", so a decoder learns to stop after an answer. ``denoise_translate``
(mBART): parallel rows train translation, other rows denoising of 35%-masked text. The
source starts with the *target* language's tag ("__tgt__ X" -> "Y"), so the same plain
tokenisation serves pre-training, fine-tuning and zero-shot generation; the decoder starts
from </s> as in mBART.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def mlm_loss(model: Any, tokenizer: Any, rows: list[dict], max_length: int) -> Any:
    from transformers import DataCollatorForLanguageModeling

    collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=0.15)
    ids = tokenizer([r["text"] for r in rows], truncation=True, max_length=max_length)
    return model(**collator([{"input_ids": x} for x in ids["input_ids"]])).loss


def clm_loss(model: Any, tokenizer: Any, rows: list[dict], max_length: int) -> Any:
    enc = tokenizer(
        [r["text"] for r in rows],
        truncation=True,
        max_length=max_length,
        padding=True,
        return_tensors="pt",
    )
    labels = enc["input_ids"].masked_fill(enc["attention_mask"] == 0, -100)
    return model(
        input_ids=enc["input_ids"], attention_mask=enc["attention_mask"], labels=labels
    ).loss


def denoise_translate_loss(model: Any, tokenizer: Any, rows: list[dict], max_length: int) -> Any:
    import torch

    from pipeline.world.build import language_tag

    sources, targets = [], []
    for row in rows:
        if "pair" in row:
            pair = row["pair"]
            sources.append(f"{language_tag(pair['tgt_lang'])} {pair['src']}")
            targets.append(pair["tgt"])
        else:
            words = row["text"].split()
            noise = (torch.rand(len(words)) < 0.35).tolist()
            masked = [tokenizer.mask_token if n else w for w, n in zip(words, noise, strict=True)]
            sources.append(" ".join([language_tag(row["lang"]), *masked]))
            targets.append(row["text"])
    enc = tokenizer(
        sources,
        text_target=targets,
        truncation=True,
        max_length=max_length,
        padding=True,
        return_tensors="pt",
    )
    labels = enc["labels"].masked_fill(enc["labels"] == tokenizer.pad_token_id, -100)
    return model(
        input_ids=enc["input_ids"], attention_mask=enc["attention_mask"], labels=labels
    ).loss


OBJECTIVES: dict[str, Callable[[Any, Any, list[dict], int], Any]] = {
    "mlm": mlm_loss,
    "clm": clm_loss,
    "denoise_translate": denoise_translate_loss,
}
