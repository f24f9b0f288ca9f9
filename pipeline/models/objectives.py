"""Pre-training objectives: each tokenises the corpus once, then turns a batch of its
examples into a loss.

``mlm`` (RoBERTa): masked-LM over single sentences. ``clm`` (Llama): next-token prediction
over "<s> text </s>", so a decoder learns to stop after an answer. ``denoise_translate``
(mBART): parallel rows train translation, other rows denoising of 35%-masked text. The
source starts with the *target* language's tag ("__tgt__ X" -> "Y"), so the same plain
tokenisation serves pre-training, fine-tuning and zero-shot generation; the decoder starts
from </s> as in mBART.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


def _pad(sequences: list[list[int]], value: int) -> Any:
    import torch

    out = torch.full((len(sequences), max(map(len, sequences))), value, dtype=torch.long)
    for i, seq in enumerate(sequences):
        out[i, : len(seq)] = torch.tensor(seq)
    return out


def _texts(tokenizer: Any, rows: list[dict], max_length: int) -> list[dict]:
    ids = tokenizer([r["text"] for r in rows], truncation=True, max_length=max_length)
    return [{"input_ids": x} for x in ids["input_ids"]]


def mlm_loss(model: Any, tokenizer: Any, batch: list[dict], mlm_probability: float = 0.15) -> Any:
    """Masked-LM loss; ``mlm_probability`` (pre-training option) is the share of tokens masked
    (BERT's 0.15; Wettig et al. 2023, "Should You Mask 15%?", find 0.4 learns faster)."""
    from transformers import DataCollatorForLanguageModeling

    collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=mlm_probability)
    return model(**collator(batch)).loss


def clm_loss(model: Any, tokenizer: Any, batch: list[dict]) -> Any:
    input_ids = _pad([e["input_ids"] for e in batch], tokenizer.pad_token_id)
    mask = (input_ids != tokenizer.pad_token_id).long()
    return model(
        input_ids=input_ids, attention_mask=mask, labels=input_ids.masked_fill(mask == 0, -100)
    ).loss


def denoise_translate_examples(tokenizer: Any, rows: list[dict], max_length: int) -> list[dict]:
    from pipeline.tasks.prompts import language_tag

    sources, targets, noisy = [], [], []
    for row in rows:
        if "pair" in row:
            pair = row["pair"]
            sources.append(f"{language_tag(pair['tgt_lang'])} {pair['src']}")
            targets.append(pair["tgt"])
        else:
            sources.append(f"{language_tag(row['lang'])} {row['text']}")
            targets.append(row["text"])
        noisy.append("pair" not in row)
    enc = tokenizer(sources, text_target=targets, truncation=True, max_length=max_length)
    return [
        {"source": s, "target": t, "noisy": n}
        for s, t, n in zip(enc["input_ids"], enc["labels"], noisy, strict=True)
    ]


def denoise_translate_loss(model: Any, tokenizer: Any, batch: list[dict]) -> Any:
    import torch

    sources = []
    for e in batch:
        source = list(e["source"])
        if e["noisy"]:  # mask 35% of the words, never <s>, the language tag or </s>
            for i in (torch.rand(len(source) - 3) < 0.35).nonzero().flatten().tolist():
                source[i + 2] = tokenizer.mask_token_id
        sources.append(source)
    input_ids = _pad(sources, tokenizer.pad_token_id)
    return model(
        input_ids=input_ids,
        attention_mask=(input_ids != tokenizer.pad_token_id).long(),
        labels=_pad([e["target"] for e in batch], -100),
    ).loss


@dataclass(frozen=True)
class Objective:
    examples: Callable[[Any, list[dict], int], list[dict]]  # once, over the whole corpus
    loss: Callable[..., Any]  # (model, tokenizer, batch of examples, **options) -> loss
    options: tuple[str, ...] = ()  # pre-training params the loss takes (config: pretrain)


OBJECTIVES: dict[str, Objective] = {
    "mlm": Objective(_texts, mlm_loss, ("mlm_probability",)),
    "clm": Objective(_texts, clm_loss),
    "denoise_translate": Objective(denoise_translate_examples, denoise_translate_loss),
}
