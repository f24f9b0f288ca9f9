"""A model's throughput on this machine's device (``python -m pipeline cost --measure``): the
three rates of the throughput table (``slurm/throughput.yaml``)."""

from __future__ import annotations

from pathlib import Path


def measure(model_dir: str | Path, device: str | None, batch_size: int, seq_len: int) -> dict:
    """Tokens/s of one model on this machine's device, in the table's three rates: random
    token batches of ``batch_size`` x ``seq_len`` (the rates do not depend on the text),
    a few warm-up steps first, the device synchronised around each timed loop."""
    import time

    import torch
    from transformers import (
        AutoConfig,
        AutoModelForCausalLM,
        AutoModelForSeq2SeqLM,
        AutoModelForSequenceClassification,
    )
    from transformers.utils import logging

    from pipeline.device import resolve

    logging.set_verbosity_error()  # a fresh head's "newly initialized" notice is expected
    placement = resolve(device)
    config = AutoConfig.from_pretrained(str(model_dir))
    if config.is_encoder_decoder:
        auto, generates = AutoModelForSeq2SeqLM, True
    elif any(a.endswith("ForCausalLM") for a in config.architectures or []):
        auto, generates = AutoModelForCausalLM, True
    else:
        auto, generates = AutoModelForSequenceClassification, False
    model = auto.from_pretrained(str(model_dir), dtype="float32", device_map=placement.device_map)
    vocab = min(config.vocab_size, 1000)
    ids = torch.randint(5, vocab, (batch_size, seq_len), device=placement.device)
    batch = {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
    batch["labels"] = (
        ids if generates else torch.zeros(batch_size, dtype=torch.long, device=ids.device)
    )

    def timed(step, n: int) -> float:
        for _ in range(2):
            step()
        if placement.is_cuda:
            torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(n):
            step()
        if placement.is_cuda:
            torch.cuda.synchronize()
        return (time.perf_counter() - start) / n

    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)

    def train_step() -> None:
        model(**batch).loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    def forward_step() -> None:
        with torch.no_grad():
            model(**batch)

    rates = {
        "train": batch_size * seq_len / timed(train_step, 5),
        "forward": batch_size * seq_len / timed(forward_step, 5),
        "generate": 0.0,
    }
    if generates:
        prompt = {"input_ids": ids[:, : max(seq_len // 4, 1)]}
        new = 32

        def generate_step() -> None:
            with torch.no_grad():
                model.generate(**prompt, max_new_tokens=new, min_new_tokens=new, do_sample=False)

        rates["generate"] = batch_size * new / timed(generate_step, 2)
    return {k: round(v) for k, v in rates.items()}
