"""The fine-tuning loop: one protocol, any transfer mode."""

from __future__ import annotations

import math
import time
from typing import Any

from pipeline.finetune.data import collate, encode, epoch_batches
from pipeline.finetune.modes import TransferMode
from pipeline.finetune.protocol import Protocol


def load_task_model(model_dir: str, task: Any, seed: int):
    """Pre-trained backbone + a task head whose initialisation is fixed by ``seed``."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging

    logging.set_verbosity_error()
    torch.manual_seed(seed)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir,
                                                               num_labels=task.num_labels)
    return model, AutoTokenizer.from_pretrained(model_dir)


def make_optimizer(model: Any, protocol: Protocol, total_steps: int):
    import torch
    from transformers import get_scheduler

    if protocol.optimizer != "adamw":
        raise ValueError(f"protocol.optimizer: {protocol.optimizer!r}; allowed: ['adamw']")
    optimizer = torch.optim.AdamW(model.parameters(), lr=protocol.lr,
                                  weight_decay=protocol.weight_decay)
    scheduler = get_scheduler(protocol.schedule, optimizer,
                              num_warmup_steps=math.ceil(protocol.warmup_ratio * total_steps),
                              num_training_steps=total_steps)
    return optimizer, scheduler


def train(model: Any, tokenizer: Any, task: Any, rows: list[dict], protocol: Protocol,
          mode: TransferMode, params: dict[str, Any], masks: dict[str, Any] | None,
          progress: bool = True) -> dict[str, Any]:
    """Fine-tune ``model`` in place; returns a summary of the run."""
    import torch
    from tqdm import tqdm

    torch.manual_seed(protocol.seed)
    examples = encode(tokenizer, task.text_fields, rows, protocol.max_length)
    steps_per_epoch = math.ceil(len(examples) / protocol.batch_size)
    total_steps = steps_per_epoch * protocol.epochs
    optimizer, scheduler = make_optimizer(model, protocol, total_steps)
    generator = torch.Generator().manual_seed(protocol.seed)
    regression = task.kind == "regression"
    mode.prepare(params, masks)
    model.train()
    start, losses = time.time(), []
    bar = tqdm(total=total_steps, desc=f"finetune {task.name} [{mode.name}]",
               disable=not progress, mininterval=2)
    for _ in range(protocol.epochs):
        for chunk in epoch_batches(examples, protocol.batch_size, generator):
            loss = model(**collate(tokenizer, chunk, regression)).loss
            loss.backward()
            mode.after_backward(params, masks)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            mode.after_step(params, masks)
            losses.append(loss.item())
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}", refresh=False)
    bar.close()
    elapsed = time.time() - start
    return {"steps": total_steps, "n_train": len(examples), "train_loss": losses[-1],
            "train_time_s": elapsed, "steps_per_s": total_steps / max(elapsed, 1e-9)}
