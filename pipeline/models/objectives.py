"""Pre-training objectives: each turns corpus rows into one batch and returns the loss.

``mlm`` (RoBERTa): masked-LM over single sentences. ``clm`` (Llama): next-token prediction
over "<s> text </s>", so a decoder learns to stop after an answer. ``denoise_translate``
(mBART): parallel rows train translation (source "__src__ X </s>" -> target
"__tgt__ Y </s>"); other rows train denoising of 35%-masked text in its own language. At
generation time mBART starts from </s> and is forced to emit the target language tag first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _pad(sequences: list[list[int]], pad_id: int, fill: int | None = None):
    import torch

    width = max(len(s) for s in sequences)
    fill = pad_id if fill is None else fill
    ids = torch.full((len(sequences), width), fill, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for i, s in enumerate(sequences):
        ids[i, : len(s)] = torch.tensor(s)
        mask[i, : len(s)] = 1
    return ids, mask


def mlm_loss(model: Any, tokenizer: Any, rows: list[dict], max_length: int) -> Any:
    from transformers import DataCollatorForLanguageModeling

    collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=0.15)
    ids = tokenizer([r["text"] for r in rows], truncation=True, max_length=max_length)
    return model(**collator([{"input_ids": x} for x in ids["input_ids"]])).loss


def clm_loss(model: Any, tokenizer: Any, rows: list[dict], max_length: int) -> Any:
    ids = tokenizer([r["text"] for r in rows], truncation=True, max_length=max_length)
    input_ids, mask = _pad(ids["input_ids"], tokenizer.pad_token_id)
    labels = input_ids.masked_fill(mask == 0, -100)
    return model(input_ids=input_ids, attention_mask=mask, labels=labels).loss


def denoise_translate_loss(model: Any, tokenizer: Any, rows: list[dict], max_length: int) -> Any:
    import torch

    from pipeline.world.build import language_tag

    def encode(lang: str, text: str) -> list[int]:
        body = tokenizer(text, add_special_tokens=False)["input_ids"][: max_length - 2]
        return [tokenizer.convert_tokens_to_ids(language_tag(lang))] + body + [
            tokenizer.eos_token_id]

    sources, targets = [], []
    for row in rows:
        if "pair" in row:
            pair = row["pair"]
            sources.append(encode(pair["src_lang"], pair["src"]))
            targets.append(encode(pair["tgt_lang"], pair["tgt"]))
        else:
            target = encode(row["lang"], row["text"])
            noise = torch.rand(len(target)) < 0.35
            noise[0] = noise[-1] = False  # keep the language tag and </s>
            sources.append([tokenizer.mask_token_id if n else t
                            for t, n in zip(target, noise.tolist(), strict=True)])
            targets.append(target)
    input_ids, mask = _pad(sources, tokenizer.pad_token_id)
    labels, _ = _pad(targets, tokenizer.pad_token_id, fill=-100)
    return model(input_ids=input_ids, attention_mask=mask, labels=labels).loss


OBJECTIVES: dict[str, Callable[[Any, Any, list[dict], int], Any]] = {
    "mlm": mlm_loss,
    "clm": clm_loss,
    "denoise_translate": denoise_translate_loss,
}
