"""Tokenised batches for sentence (pair) classification, seeded and dynamically padded."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def encode(tokenizer: Any, text_fields: tuple[str, ...], rows: list[dict],
           max_length: int) -> list[dict]:
    texts = [[row[f] for row in rows] for f in text_fields]
    enc = tokenizer(*texts, truncation=True, max_length=max_length)
    return [
        {"input_ids": ids, "labels": row["label"]}
        for ids, row in zip(enc["input_ids"], rows, strict=True)
    ]


def collate(tokenizer: Any, examples: list[dict], regression: bool) -> dict:
    import torch

    batch = tokenizer.pad([{"input_ids": e["input_ids"]} for e in examples], return_tensors="pt")
    dtype = torch.float32 if regression else torch.long
    batch["labels"] = torch.tensor([e["labels"] for e in examples], dtype=dtype)
    return batch


def epoch_batches(examples: list[dict], batch_size: int, generator: Any | None) -> Iterator[list]:
    """Examples in batches; shuffled by ``generator`` (a seeded torch.Generator) if given."""
    import torch

    order = (torch.randperm(len(examples), generator=generator).tolist()
             if generator is not None else list(range(len(examples))))
    for start in range(0, len(order), batch_size):
        yield [examples[i] for i in order[start:start + batch_size]]
