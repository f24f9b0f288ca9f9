"""Calibration batches for Wanda and SparseGPT: windows of pre-training-like text.

Two sources, one output (a list of ``{"input_ids", "attention_mask"}`` batches of full
windows, never padded, so every token is real calibration data):

* ``world``: the synthetic world's ``corpus.jsonl`` (the default study). A window starts at a
  random sentence and runs through the following sentences, each with its special tokens,
  as the model saw them in pre-training.
* ``hub``: a hub text data set, e.g. ``allenai/c4`` with
  ``data_files: en/c4-train.00000-of-01024.json.gz`` (the paper's 128 samples of 2048
  tokens, seed 0): a random document longer than the window, then a random window of it.
  Paper config only; nothing here reaches a hub in the default study or the tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from pipeline.io import read_jsonl

DEFAULTS: dict[str, Any] = {
    "source": "world",
    "samples": 128,
    "seq_len": 2048,
    "batch_size": 1,
    "seed": 0,
    "split": "train",
    "text_field": "text",
}
SOURCES = ("world", "hub")


def max_positions(model_config: Any) -> int | None:
    """Longest input the model embeds (RoBERTa-style positions start after the pad id)."""
    limit = getattr(model_config, "max_position_embeddings", None)
    if limit is not None and getattr(model_config, "model_type", "") in ("roberta", "xlm-roberta"):
        limit -= model_config.pad_token_id + 1
    return limit


def _world_windows(world_dir: Path, tokenizer: Any, spec: dict[str, Any]) -> list[list[int]]:
    texts = [row["text"] for row in read_jsonl(Path(world_dir) / "corpus.jsonl")]
    rng = np.random.default_rng(spec["seed"])
    windows = []
    for _ in range(spec["samples"]):
        index, ids = int(rng.integers(len(texts))), []
        while len(ids) < spec["seq_len"]:
            ids += tokenizer(texts[index % len(texts)])["input_ids"]
            index += 1
        windows.append(ids[: spec["seq_len"]])
    return windows


def _hub_windows(tokenizer: Any, spec: dict[str, Any]) -> list[list[int]]:
    """Windows of the staged hub text (``spec["staged"]``: its folder, set by the rule)."""
    import pyarrow.parquet as pq

    if "hub_id" not in spec:
        raise ValueError("config key 'compression.calibration.hub_id' is required for source 'hub'")
    if "staged" not in spec:
        raise ValueError(f"calibration: {spec['hub_id']!r} must be staged first (rule stage_data)")
    data = pq.read_table(Path(spec["staged"]) / f"{spec['split']}.parquet").to_pylist()
    rng = np.random.default_rng(spec["seed"])
    windows, tries = [], 0
    while len(windows) < spec["samples"]:
        tries += 1
        if tries > 100 * spec["samples"]:
            raise ValueError(
                f"calibration: too few documents of {spec['hub_id']} are longer "
                f"than seq_len={spec['seq_len']} tokens"
            )
        ids = tokenizer(data[int(rng.integers(len(data)))][spec["text_field"]])["input_ids"]
        if len(ids) > spec["seq_len"]:
            start = int(rng.integers(len(ids) - spec["seq_len"]))
            windows.append(ids[start : start + spec["seq_len"]])
    return windows


def load_calibration(
    spec: dict[str, Any],
    tokenizer: Any,
    world_dir: str | Path | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Batches of calibration windows as the config's ``compression.calibration`` says."""
    import torch

    spec = {**DEFAULTS, **spec}
    if spec["source"] not in SOURCES:
        raise ValueError(
            f"config key 'compression.calibration.source': {spec['source']!r} "
            f"is not one of {list(SOURCES)}"
        )
    if limit is not None and spec["seq_len"] > limit:
        raise ValueError(
            f"config key 'compression.calibration.seq_len': {spec['seq_len']} is "
            f"longer than the model's {limit} positions"
        )
    if spec["source"] == "world":
        if world_dir is None:
            raise ValueError("calibration source 'world' needs the world folder (--world)")
        windows = _world_windows(Path(world_dir), tokenizer, spec)
    else:
        windows = _hub_windows(tokenizer, spec)
    ids = torch.tensor(windows, dtype=torch.long)
    return [
        {"input_ids": chunk, "attention_mask": torch.ones_like(chunk)}
        for chunk in ids.split(spec["batch_size"])
    ]
