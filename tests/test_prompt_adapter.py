"""The prompt adapter reads the MLM head at the mask only: the same numbers as the full head.

``mask_logits`` skips the head on every position the prompt does not read; the saving is
only worth having if a class score, its loss and its gradient are those of the full
forward (``model(...).logits[rows, position]``), in training (dropout on) and evaluation.
"""

from __future__ import annotations

import torch

from pipeline.finetune.adapters.prompt import MaskedLMPrompt, mask_logits
from pipeline.finetune.run import load_for_task
from pipeline.tasks.registry import get_task


def _full_head(model, batch):
    inputs = {k: batch[k] for k in ("input_ids", "attention_mask")}
    logits = model(**inputs).logits
    return logits[torch.arange(len(logits)), batch["position"]]


def _batch(tiny_roberta, tiny_world, task_name):
    task = get_task(task_name)
    adapter, model, tokenizer = load_for_task(tiny_roberta, task, seed=0)
    assert isinstance(adapter, MaskedLMPrompt)
    rows = task.load_split("validation", tiny_world)[:16]
    examples = adapter.encode(tokenizer, task, rows, max_length=32)
    return adapter, model, adapter.collate(tokenizer, examples)


def test_mask_logits_equal_the_full_head_at_the_mask(tiny_roberta, tiny_world):
    for task_name in ("syn_factcheck", "syn_sentiment"):  # an answer cloze, a verbalizer
        _, model, batch = _batch(tiny_roberta, tiny_world, task_name)
        model.eval()
        with torch.no_grad():
            fast, full = mask_logits(model, batch), _full_head(model, batch)
        assert fast.shape == (len(batch["input_ids"]), model.config.vocab_size)
        torch.testing.assert_close(fast, full, rtol=1e-5, atol=1e-5)
        # Not vacuous: the logits differ between rows (each row's own mask position).
        assert not torch.allclose(fast[0], fast[1])


def test_training_loss_and_gradients_equal_the_full_heads(tiny_roberta, tiny_world):
    adapter, model, batch = _batch(tiny_roberta, tiny_world, "syn_factcheck")
    model.train()
    grads = []
    for reader in (mask_logits, _full_head):
        torch.manual_seed(7)  # the same dropout draws: the body's positions are the same
        model.zero_grad()
        scores = reader(model, batch).log_softmax(-1).gather(1, batch["words"])
        loss = -scores.mean()
        loss.backward()
        grads.append([p.grad.clone() for p in model.parameters() if p.grad is not None])
    assert len(grads[0]) == len(grads[1]) > 0
    for fast, full in zip(*grads, strict=True):
        torch.testing.assert_close(fast, full, rtol=1e-4, atol=1e-6)


BF16_TRAINING = """
import json, sys
import torch
from pipeline.finetune.modes import get_mode
from pipeline.finetune.protocol import Protocol
from pipeline.finetune.run import load_for_task
from pipeline.finetune.trainer import Loaded, Session, make_accelerator, train
from pipeline.tasks.registry import get_task

model_dir, world = sys.argv[1], sys.argv[2]
task = get_task("syn_factcheck")
adapter, model, tokenizer = load_for_task(model_dir, task, seed=0)
seen = []
model.lm_head.dense.register_forward_hook(lambda m, i, o: seen.append(str(o.dtype)))
protocol = Protocol.from_dict(
    {"lr": 1e-4, "steps": 2, "batch_size": 8, "max_length": 32, "precision": "bf16", "seed": 0}
)
rows = task.load_split("train", world)[:16]
train(Loaded(adapter, model, tokenizer), task, rows, protocol, get_mode("dense"), ({}, None),
      make_accelerator(protocol, "cpu"), Session(progress=False))
print(json.dumps({"head": sorted(set(seen)), "weights": str(model.lm_head.dense.weight.dtype)}))
"""


def test_a_bf16_protocol_trains_the_prompt_readout_under_autocast(tiny_roberta, tiny_world):
    """The readout calls the body and the head itself, past the autocast accelerate patches
    into the model's forward; the trainer's own autocast must still cover it. A process of
    its own: accelerate keeps one precision per process."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    out = subprocess.run(
        [sys.executable, "-c", BF16_TRAINING, str(tiny_roberta), str(tiny_world)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[1],
        check=True,
    )
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen == {"head": ["torch.bfloat16"], "weights": "torch.float32"}
