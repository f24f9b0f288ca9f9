"""Fine-tuning: one protocol per cell, shared by every transfer mode, on any architecture.

- ``protocol``: the recipe (optimizer, lr, schedule, warm-up, epochs or steps, batch, max
  length, seed, precision); its hash goes into every result row.
- ``modes/``: the transfer modes of paper §5 (registry; one module each).
- ``adapters/``: model kinds (registry): how a task's rows become batches for
  sequence classification, seq2seq or causal-LM fine-tuning, and how a model is evaluated
  (classification metrics, or generation scored by the task). Extension point for new
  tasks and architectures; ``adapters/base.py`` says what a task must provide.
- ``trainer``: the loop (accelerate: CPU, GPUs, mixed precision), deterministic on CPU.
- ``checkpoint``: atomic, resumable checkpoints; a killed run ends as an uninterrupted one.
- ``run``: one cell end to end (load, mode, train, verify, evaluate, record).
"""
