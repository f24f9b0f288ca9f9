"""Would training the seeds of a cell as one stacked model bring the default study inside
10 minutes? The CPU cost of a ``tiny_roberta`` fine-tuning step, K models at a time.

    python bench/bench_stacked.py [--steps 30] [--stack 1 5 25]

The default study is ~600 fine-tuning runs of 400 steps on two cores; a step costs ~10 ms of
CPU (bench/bench_job.py), so only a per-step cost several times lower brings it near the
budget (README, "Size and time"). One candidate is to train the K seeds (or the K
compressions) of a cell as one model whose weights carry a leading K axis:
``torch.func.stack_module_state`` + ``functional_call`` under ``vmap``, one fused AdamW over
the stacked tensors, dropout drawn independently per member. It pays only if a step is
bound by per-operator overhead rather than arithmetic. This prints, in one process and one
thread, the CPU time per *model*-step of:

- ``sequential``: K separate models, each its own forward, backward and AdamW step (what
  the study does today, one job per seed);
- ``stacked``: the K models as one vmapped model;

and the ratio stacked / sequential for each K (below 1: stacking saves). The model is the
default study's ``tiny_roberta`` (config.yaml's size, random weights: the cost of a step
does not depend on them), read at one mask position as the prompt adapter reads it, on
batches of 32 rows of 16 tokens (the factcheck prompts' length).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
import yaml

ROOT = Path(__file__).resolve().parents[1]
BATCH, LENGTH, VOCAB = 32, 16, 529


def tiny_roberta() -> torch.nn.Module:
    from transformers import RobertaConfig, RobertaForMaskedLM

    size = yaml.safe_load((ROOT / "config.yaml").read_text())["models"]["tiny_roberta"]["size"]
    config = RobertaConfig(vocab_size=VOCAB, max_position_embeddings=40, **size)
    return RobertaForMaskedLM(config).train()


def batch(generator: torch.Generator) -> dict[str, torch.Tensor]:
    return {
        "input_ids": torch.randint(3, VOCAB, (BATCH, LENGTH), generator=generator),
        "position": torch.randint(1, LENGTH - 1, (BATCH,), generator=generator),
        "labels": torch.randint(3, VOCAB, (BATCH,), generator=generator),
    }


def loss_of(model: torch.nn.Module, params: dict | None, data: dict) -> torch.Tensor:
    """Cross-entropy of the word at the mask, the MLM head read there only."""
    from torch.func import functional_call

    rows = torch.arange(BATCH)
    # No attention mask: transformers builds it with data-dependent branches, which vmap
    # cannot trace (a stacked trainer would pass its own 4-D mask). Both variants skip it.
    inputs = (data["input_ids"],)
    if params is None:
        hidden = model.roberta(*inputs).last_hidden_state
        logits = model.lm_head(hidden[rows, data["position"]])
    else:
        body = {k[len("roberta.") :]: v for k, v in params.items() if k.startswith("roberta.")}
        head = {k[len("lm_head.") :]: v for k, v in params.items() if k.startswith("lm_head.")}
        hidden = functional_call(model.roberta, body, inputs).last_hidden_state
        logits = functional_call(model.lm_head, head, (hidden[rows, data["position"]],))
    return torch.nn.functional.cross_entropy(logits, data["labels"])


def sequential(k: int, steps: int) -> float:
    """CPU seconds per model-step, K models one after the other."""
    models = [tiny_roberta() for _ in range(k)]
    optimizers = [torch.optim.AdamW(m.parameters(), lr=1e-4, fused=True) for m in models]
    generator = torch.Generator().manual_seed(0)
    data = [batch(generator) for _ in range(steps)]
    start = time.process_time()
    for step in range(steps):
        for model, optimizer in zip(models, optimizers, strict=True):
            loss_of(model, None, data[step]).backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
    return (time.process_time() - start) / (steps * k)


def stacked(k: int, steps: int) -> float:
    """CPU seconds per model-step, K models as one vmapped model."""
    from torch.func import stack_module_state, vmap

    models = [tiny_roberta() for _ in range(k)]
    # Only the parameters are stacked: the buffers (position ids) are the same in every
    # member, so models[0] lends its structure and buffers and the weights come in.
    params, _ = stack_module_state(models)
    optimizer = torch.optim.AdamW(list(params.values()), lr=1e-4, fused=True)
    generator = torch.Generator().manual_seed(0)
    data = [batch(generator) for _ in range(steps)]

    def member_loss(member_params: dict, member_data: dict) -> torch.Tensor:
        return loss_of(models[0], member_params, member_data)

    start = time.process_time()
    for step in range(steps):
        per_member = {key: value.expand(k, *value.shape) for key, value in data[step].items()}
        losses = vmap(member_loss, randomness="different")(params, per_member)
        losses.sum().backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    return (time.process_time() - start) / (steps * k)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=30, help="timed steps per variant")
    parser.add_argument("--stack", type=int, nargs="+", default=[1, 5, 25], help="K values")
    parser.add_argument("--rounds", type=int, default=3, help="median over rounds")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # as each job of `snakemake --cores 2` runs
    sequential(1, 3), stacked(2, 3)  # warm-up: first kernels, lazy imports
    print(f"{'K':>4} {'sequential ms':>14} {'stacked ms':>11} {'ratio':>6}  (CPU per model-step)")
    for k in args.stack:
        seq = statistics.median(sequential(k, args.steps) for _ in range(args.rounds))
        stk = statistics.median(stacked(k, args.steps) for _ in range(args.rounds))
        print(f"{k:4d} {1000 * seq:14.2f} {1000 * stk:11.2f} {stk / seq:6.2f}")


if __name__ == "__main__":
    sys.exit(main())
