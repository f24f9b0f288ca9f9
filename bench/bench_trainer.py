"""The project's fine-tuning loop vs ``transformers.Trainer``: time per epoch, as a ratio.

    python bench/bench_trainer.py [--device cpu] [--layers 4] [--hidden 256]
                                  [--batch-size 32] [--max-length 64] [--examples 256]
                                  [--rounds 3] [--threads 1]

Both train the same small RoBERTa classifier (random init, seeded; every run starts from the
same weights) for one epoch over the same examples (pre-tokenized once, padded per batch by
each side's own collator), with the same batch size, AdamW, learning rate, linear schedule
and 6% warm-up, no evaluation, no checkpoints, no logging to a service. Ours is
``pipeline.finetune.trainer.train`` (dense mode; accelerate); the reference is the tool a
user would otherwise pick, ``transformers.Trainer``. Runs alternate, ``--rounds`` times
each, so drift in the machine's load hits both alike; the best round of each (the least
disturbed) gives the ratio ours / Trainer (target: <= 1.0). The median, and the CPU time
(``time.process_time``, all threads: barely moved by other processes on the cores), are
printed too.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def build(layers: int, hidden: int, max_length: int, n_examples: int, workdir: Path):
    """(model, tokenizer, rows, task): a random RoBERTa classifier and varied-length rows."""
    import torch
    from transformers import RobertaConfig, RobertaForSequenceClassification

    from pipeline.models.tokenizer import build_word_tokenizer
    from pipeline.tasks.base import ClassificationTask

    tokenizer = build_word_tokenizer([f"w{i}" for i in range(2000)], workdir)
    config = RobertaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=max(hidden // 64, 1),
        intermediate_size=4 * hidden,
        max_position_embeddings=max_length + 2 + tokenizer.pad_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(0)
    model = RobertaForSequenceClassification(config)
    rng = random.Random(0)
    rows = [
        {
            "sentence": " ".join(
                f"w{rng.randrange(2000)}" for _ in range(rng.randrange(4, max_length - 2))
            ),
            "label": rng.randrange(2),
        }
        for _ in range(n_examples)
    ]
    task = ClassificationTask(
        name="bench",
        text_fields=("sentence",),
        num_labels=2,
        metrics=("accuracy",),
        source="synthetic",
    )
    return model, tokenizer, rows, task


def protocol_for(batch_size: int, max_length: int) -> Any:
    from pipeline.finetune.protocol import Protocol

    return Protocol(lr=2e-5, epochs=1, batch_size=batch_size, max_length=max_length, seed=0)


def ours(model, initial, tokenizer, rows, task, protocol, device: str) -> tuple[float, float]:
    """(wall, CPU) seconds for one epoch of the project's loop."""
    from pipeline.compress.prunable import prunable_parameters
    from pipeline.finetune.adapters import ADAPTERS
    from pipeline.finetune.modes import get_mode
    from pipeline.finetune.trainer import Loaded, Session, make_accelerator, train

    model.load_state_dict(initial)
    accelerator = make_accelerator(protocol, device)
    adapter = ADAPTERS["sequence_classification"]
    params = prunable_parameters(model)
    _sync(device)
    start, cpu = time.perf_counter(), time.process_time()
    train(
        Loaded(adapter, model, tokenizer),
        task,
        rows,
        protocol,
        get_mode("dense"),
        (params, None),
        accelerator,
        Session(progress=False),
    )
    _sync(device)
    return time.perf_counter() - start, time.process_time() - cpu


def theirs(
    model, initial, tokenizer, rows, task, protocol, device: str, out: Path
) -> tuple[float, float]:
    """(wall, CPU) seconds for one epoch of ``transformers.Trainer`` on the same examples."""
    from transformers import DataCollatorWithPadding, Trainer, TrainingArguments

    from pipeline.finetune.adapters import ADAPTERS

    model.load_state_dict(initial)
    examples = ADAPTERS["sequence_classification"].encode(
        tokenizer, task, rows, protocol.max_length
    )
    arguments = TrainingArguments(
        output_dir=str(out),
        per_device_train_batch_size=protocol.batch_size,
        num_train_epochs=protocol.epochs,
        learning_rate=protocol.lr,
        weight_decay=protocol.weight_decay,
        lr_scheduler_type=protocol.schedule,
        warmup_steps=protocol.warmup_steps(len(examples)),  # the same count as ours
        save_strategy="no",
        eval_strategy="no",
        logging_strategy="no",
        report_to=[],
        disable_tqdm=True,
        dataloader_num_workers=0,
        use_cpu=device == "cpu",
        seed=0,
    )
    trainer = Trainer(
        model=model,
        args=arguments,
        train_dataset=examples,
        data_collator=DataCollatorWithPadding(tokenizer),
    )
    _sync(device)
    start, cpu = time.perf_counter(), time.process_time()
    trainer.train()
    _sync(device)
    return time.perf_counter() - start, time.process_time() - cpu


def _sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def compare(
    device: str = "cpu",
    layers: int = 4,
    hidden: int = 256,
    batch_size: int = 32,
    max_length: int = 64,
    examples: int = 256,
    rounds: int = 3,
) -> dict[str, Any]:
    """Seconds per epoch of both loops over ``rounds`` alternating runs, and the ratio of the
    best of each (ours / Trainer)."""
    with tempfile.TemporaryDirectory() as tmp:
        model, tokenizer, rows, task = build(layers, hidden, max_length, examples, Path(tmp))
        model.to(device)
        initial = {k: v.detach().clone() for k, v in model.state_dict().items()}
        protocol = protocol_for(batch_size, max_length)
        times: dict[str, list[tuple[float, float]]] = {"ours": [], "trainer": []}
        for _ in range(rounds):
            times["ours"].append(ours(model, initial, tokenizer, rows, task, protocol, device))
            times["trainer"].append(
                theirs(model, initial, tokenizer, rows, task, protocol, device, Path(tmp))
            )
    wall = {k: [w for w, _ in v] for k, v in times.items()}
    cpu = {k: [c for _, c in v] for k, v in times.items()}
    best = {k: min(v) for k, v in wall.items()}
    best_cpu = {k: min(v) for k, v in cpu.items()}
    return {
        "device": device,
        "steps_per_epoch": protocol.steps_per_epoch(examples),
        "best_s": best,
        "median_s": {k: statistics.median(v) for k, v in wall.items()},
        "best_cpu_s": best_cpu,
        "ratio": best["ours"] / best["trainer"],
        "median_ratio": statistics.median(wall["ours"]) / statistics.median(wall["trainer"]),
        "cpu_ratio": best_cpu["ours"] / best_cpu["trainer"],
    }


def main() -> None:
    import torch

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="cpu")
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--max-length", type=int, default=64)
    p.add_argument("--examples", type=int, default=256)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    result = compare(
        args.device,
        args.layers,
        args.hidden,
        args.batch_size,
        args.max_length,
        args.examples,
        args.rounds,
    )
    steps = result["steps_per_epoch"]
    print(f"device {result['device']}, {steps} steps per epoch, batch {args.batch_size}")
    for name in ("ours", "trainer"):
        print(
            f"{name:<8} best {result['best_s'][name]:.2f} s/epoch, "
            f"median {result['median_s'][name]:.2f} s/epoch, "
            f"best CPU {result['best_cpu_s'][name]:.2f} s/epoch"
        )
    print(
        f"ratio ours / Trainer: {result['ratio']:.3f} (best wall), "
        f"{result['median_ratio']:.3f} (median wall), {result['cpu_ratio']:.3f} (best CPU "
        "time); target <= 1.0"
    )


if __name__ == "__main__":
    main()
