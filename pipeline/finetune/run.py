"""Run one cell: load, apply the mode, fine-tune, verify the sparsity, evaluate, record."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from pipeline.compress.prunable import prunable_parameters, sparsity_report
from pipeline.finetune.evaluation import evaluate_rows
from pipeline.finetune.modes import get_mode
from pipeline.finetune.protocol import Protocol
from pipeline.finetune.trainer import load_task_model, train
from pipeline.paths import DENSE, split_difficulty
from pipeline.records import run_record
from pipeline.tasks.registry import get_task
from pipeline.tasks.subsets import fraction_indices


def select_training_rows(rows: list[dict], difficulty: str, subset: str,
                         subset_seed: int) -> list[dict]:
    axis, value = split_difficulty(difficulty)
    if axis != "fraction":
        raise ValueError(f"difficulty axis {axis!r}; allowed: ['fraction']")
    return [rows[i] for i in fraction_indices(len(rows), float(value), subset_seed, subset)]


def verify_sparse(params: dict[str, Any], masks: dict[str, Any]) -> None:
    """The science check: in sparse mode no pruned weight may have drifted from zero."""
    for name, param in params.items():
        drifted = int((param.detach()[~masks[name]] != 0).sum())
        if drifted:
            raise RuntimeError(f"sparse mode: {drifted} pruned weights of {name} are non-zero")


def run_cell(*, study: str, setting: str, model_name: str, model_dir: str | Path,
             task_name: str, world_dir: str | Path | None, difficulty: str, compression: str,
             masks_path: str | Path | None, mode_name: str, protocol: Protocol,
             subset: str = "random", subset_seed: int = 0, out_dir: str | Path | None = None,
             progress: bool = True) -> dict[str, Any]:
    from pipeline.compress.masks import load_masks

    start = time.time()
    task = get_task(task_name)
    mode = get_mode(mode_name)
    if mode.uses_mask == (compression == DENSE):
        raise ValueError(f"mode {mode_name!r} and compression {compression!r} do not fit: "
                         "dense runs take no mask, the other modes need one")
    world = Path(world_dir) if world_dir else None
    model, tokenizer = load_task_model(str(model_dir), task, protocol.seed)
    params = prunable_parameters(model)
    masks = load_masks(masks_path) if mode.uses_mask else None
    if masks is not None and set(masks) != set(params):
        raise ValueError(f"mask {masks_path} does not match the model's prunable parameters")
    rows = select_training_rows(task.load_split("train", world), difficulty, subset, subset_seed)
    training = train(model, tokenizer, task, rows, protocol, mode, params, masks, progress)
    if mode.name == "sparse":
        verify_sparse(params, masks)
    sparsity = sparsity_report(params)
    evaluation = evaluate_rows(model, tokenizer, task, task.load_split("validation", world),
                               protocol.max_length, protocol.eval_batch_size)
    if out_dir is not None:
        model.save_pretrained(str(out_dir))
        tokenizer.save_pretrained(str(out_dir))
    return run_record(study=study, setting=setting, model=model_name, task=task,
                      difficulty=difficulty, compression=compression, mode=mode_name,
                      seed=protocol.seed, protocol=protocol, evaluation=evaluation,
                      sparsity=sparsity, training=training, wall_time_s=time.time() - start)
