"""Fine-tuning step time of the masked transfer modes as a ratio to dense.

    python bench/bench_finetune.py [--layers 4] [--hidden 256] [--batch-size 32]
                                   [--max-length 64] [--steps 4] [--rounds 7] [--threads 1]

Runs the project's real training loop (``pipeline.finetune.trainer.train``: accelerate,
AdamW with weight decay, linear schedule, the modes' hooks) on a small RoBERTa classifier
(random init, seeded; 4 layers, 256 wide by default) with the same batches for every mode,
and prints the time per optimizer step of ``sparse`` and ``dense_freeze`` (mask at 50%
global magnitude sparsity) as a ratio to ``dense``. Target: ratio <= 1.05.

The modes run interleaved, ``--rounds`` times each, ``--steps`` steps per run, every run
from the same initial weights, so drift in the machine's load hits every mode alike. Both
wall time and CPU time (``time.process_time``, all threads; far less sensitive to other
processes competing for the cores) are reported: the best over rounds (the least disturbed
run) and the median.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MODES = ("dense", "sparse", "dense_freeze")


def build(args: argparse.Namespace, workdir: Path):
    import torch
    from transformers import RobertaConfig, RobertaForSequenceClassification

    from pipeline.models.tokenizer import build_word_tokenizer

    tokenizer = build_word_tokenizer([f"w{i}" for i in range(2000)], workdir)
    config = RobertaConfig(
        vocab_size=len(tokenizer),
        hidden_size=args.hidden,
        num_hidden_layers=args.layers,
        num_attention_heads=args.hidden // 64,
        intermediate_size=4 * args.hidden,
        max_position_embeddings=args.max_length + 2 + tokenizer.pad_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(0)
    model = RobertaForSequenceClassification(config)
    rng = random.Random(0)
    words = args.max_length - 2  # every example fills max_length: no padding differences
    rows = [
        {
            "sentence": " ".join(f"w{rng.randrange(2000)}" for _ in range(words)),
            "label": rng.randrange(2),
        }
        for _ in range(args.batch_size * args.steps)
    ]
    return model, tokenizer, rows


def timed_hooks(mode, spent: list[float]) -> None:
    """Accumulate the wall time of the mode's per-step hooks into ``spent[0]``."""
    for name in ("after_backward", "after_step"):
        hook = getattr(mode, name)

        def timed(hook=hook):
            start = time.perf_counter()
            hook()
            spent[0] += time.perf_counter() - start

        setattr(mode, name, timed)


def time_run(model, initial, tokenizer, rows, mode_name, masks, args) -> tuple[float, ...]:
    """(wall, CPU, hooks' wall) seconds per step of one fine-tuning run from ``initial``."""
    from pipeline.compress.prunable import prunable_parameters
    from pipeline.finetune.adapters import ADAPTERS
    from pipeline.finetune.modes import get_mode
    from pipeline.finetune.protocol import Protocol
    from pipeline.finetune.trainer import Loaded, Session, make_accelerator, train
    from pipeline.tasks.base import ClassificationTask

    task = ClassificationTask(
        name="bench",
        text_fields=("sentence",),
        num_labels=2,
        metrics=("accuracy",),
        source="synthetic",
    )
    protocol = Protocol(
        lr=2e-5,
        steps=args.steps,
        batch_size=args.batch_size,
        max_length=args.max_length,
        seed=0,
        weight_decay=0.01,
    )
    model.load_state_dict(initial)
    mode = get_mode(mode_name)
    hooks = [0.0]
    timed_hooks(mode, hooks)
    cpu = time.process_time()
    summary = train(
        Loaded(ADAPTERS["sequence_classification"], model, tokenizer),
        task,
        rows,
        protocol,
        mode,
        (prunable_parameters(model), masks if mode.uses_mask else None),
        make_accelerator(protocol),
        Session(progress=False),
    )
    cpu = time.process_time() - cpu
    # CPU time includes the loop's few-ms setup (tokenizing, optimizer); wall time does not.
    return summary["train_time_s"] / args.steps, cpu / args.steps, hooks[0] / args.steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--steps", type=int, default=4, help="optimizer steps per run")
    parser.add_argument("--rounds", type=int, default=7, help="runs per mode, interleaved")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    import torch
    from transformers.utils import logging

    from pipeline.compress.magnitude import global_magnitude_masks
    from pipeline.compress.prunable import prunable_parameters

    logging.set_verbosity_error()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        model, tokenizer, rows = build(args, Path(tmp))
    params = prunable_parameters(model)
    masks = global_magnitude_masks(params, "0.5")
    initial = {k: v.clone() for k, v in model.state_dict().items()}
    print(
        f"RoBERTa {args.layers} layers x {args.hidden}, "
        f"{sum(p.numel() for p in params.values()) / 1e6:.2f}M prunable weights "
        f"(mask 50%), batch {args.batch_size} x {args.max_length} tokens, AdamW wd 0.01, "
        f"{args.threads} thread(s), {args.rounds} rounds x {args.steps} steps per mode",
        flush=True,
    )
    time_run(model, initial, tokenizer, rows, "dense", masks, args)  # warm-up, not reported
    times: dict[str, list[tuple[float, ...]]] = {m: [] for m in MODES}
    for _ in range(args.rounds):
        for mode in MODES:
            times[mode].append(time_run(model, initial, tokenizer, rows, mode, masks, args))

    def stats(mode: str, kind: int) -> tuple[float, float]:
        values = [t[kind] for t in times[mode]]
        return min(values), statistics.median(values)

    print(
        f"{'mode':<14}{'wall ms/step best':>18}{'median':>9}{'ratio':>8}"
        f"{'CPU ms/step best':>18}{'median':>9}{'ratio':>8}{'hooks ms/step':>15}"
        f"{'hooks/dense':>13}"
    )
    dense_wall = stats("dense", 0)[1]
    for mode in MODES:
        cells = []
        for kind in (0, 1):
            best, median = stats(mode, kind)
            ratio = median / stats("dense", kind)[1]
            cells.append(f"{best * 1e3:>18.1f}{median * 1e3:>9.1f}{ratio:>8.3f}")
        hooks = stats(mode, 2)[1]
        cells.append(f"{hooks * 1e3:>15.2f}{1 + hooks / dense_wall:>13.4f}")
        print(f"{mode:<14}{''.join(cells)}")
    print(
        "ratio = median step time / dense median step time (target <= 1.05); hooks/dense = "
        "1 + the mode's own per-step work / dense median wall step time (load-insensitive)"
    )


if __name__ == "__main__":
    main()
