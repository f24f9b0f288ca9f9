"""Run one cell: load, apply the mode, fine-tune, verify the mode, evaluate, record."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from pipeline import load
from pipeline.compress.levels import describe
from pipeline.compress.prunable import prunable_parameters, sparsity_report
from pipeline.compress.quantize import GridProjection
from pipeline.compress.registry import get_method
from pipeline.data.provenance import provenance, task_inputs
from pipeline.device import autocast, load_dtype, model_devices
from pipeline.examples import item_ids, write_examples
from pipeline.finetune.adapters import adapter_for
from pipeline.finetune.adapters.base import load_tokenizer
from pipeline.finetune.checkpoint import Checkpoints
from pipeline.finetune.modes import get_mode
from pipeline.finetune.modes.base import quantization_bits
from pipeline.finetune.protocol import Protocol
from pipeline.finetune.trainer import StopRequest, cell_placement, train
from pipeline.fingerprint import inputs_hash
from pipeline.io import atomic_dir
from pipeline.paths import DENSE, split_compression, split_difficulty
from pipeline.records import run_record
from pipeline.staging.hub import carry_manifest
from pipeline.tasks.chance import chance_level
from pipeline.tasks.registry import get_task
from pipeline.tasks.subsets import fraction_indices


def select_training_rows(
    rows: list[dict], difficulty: str, subset: str, subset_seed: int
) -> list[dict]:
    """The data-fraction axis subsets the training rows; every other axis uses them all
    (its difficulty lives in the data itself: language group, book, task)."""
    axis, value = split_difficulty(difficulty)
    if axis != "fraction":
        return rows
    return [rows[i] for i in fraction_indices(len(rows), float(value), subset_seed, subset)]


def load_for_task(
    model_dir: str | Path, task: Any, seed: int, dropout: float | None = None, **placement: Any
) -> tuple[Any, Any, Any]:
    """(adapter, model, tokenizer) for ``task``; a new head's initialisation is fixed by
    ``seed``; ``dropout`` (the protocol's) replaces the model's main dropout rate.
    ``placement`` goes to ``from_pretrained`` (``dtype``, ``device_map``: load straight
    onto the device, pipeline/device.py)."""
    import torch
    from transformers import AutoConfig
    from transformers.utils import logging

    from pipeline.finetune.adapters.generation import dropout_override

    logging.set_verbosity_error()
    logging.disable_progress_bar()  # per-file loading bars would drown the training bar
    load.model_folder(model_dir)  # a missing config.json is named as missing
    config = AutoConfig.from_pretrained(str(model_dir))
    adapter = adapter_for(task, config)
    tokenizer = load_tokenizer(str(model_dir))
    torch.manual_seed(seed)
    overrides = dropout_override(config, dropout)
    model = adapter.load(str(model_dir), task, tokenizer, **overrides, **placement)
    return adapter, model, tokenizer


def run_fingerprint(**identity: Any) -> str:
    """What a checkpoint must match to be resumed: the protocol and the cell's identity."""
    blob = json.dumps(identity, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def run_cell(
    *,
    study: str,
    setting: str,
    model_name: str,
    model_dir: str | Path,
    task_name: str,
    world_dir: str | Path | None,
    difficulty: str,
    compression: str,
    masks_path: str | Path | None,
    mode_name: str,
    protocol: Protocol,
    subset: str = "random",
    subset_seed: int = 0,
    out_dir: str | Path | None = None,
    checkpoint_dir: str | Path | None = None,
    checkpoint_minutes: float = 0,
    progress: bool = True,
    task_options: dict[str, Any] | None = None,
    examples_path: str | Path | None = None,
    device: str | None = None,
    tracker: Any = None,
) -> dict[str, Any] | None:
    """Fine-tune and evaluate one cell; returns its one-row record (None on all but the main
    process of a multi-GPU run) and writes the fine-tuned model to ``out_dir`` and the
    per-example outcomes to ``examples_path`` (pipeline/examples.py) atomically.
    With ``checkpoint_dir`` the run checkpoints every ``checkpoint_minutes`` of wall time
    and resumes from the last one. The model runs on ``device`` (pipeline/device.py).
    ``tracker`` (pipeline/finetune/tracking.py; None: off) receives the training losses and
    the evaluation metrics; the caller finishes it."""
    from pipeline.compress.apply import load_compression

    start = time.time()
    task = get_task(task_name).configure(difficulty, task_options or {})
    mode = get_mode(mode_name)
    if mode.uses_mask is not None and mode.uses_mask == (compression == DENSE):
        raise ValueError(
            f"mode {mode_name!r} and compression {compression!r} do not fit: "
            "dense runs take no mask, the other modes need one"
        )
    world = Path(world_dir) if world_dir else None
    accelerator, placement = cell_placement(protocol, mode.trains, device)
    adapter, model, tokenizer = load_for_task(
        model_dir,
        task,
        protocol.seed,
        protocol.dropout,
        # Quantizing modes round and verify in fp32 (modes/ptq.py), whatever the precision.
        dtype=load_dtype(protocol.precision, mode.trains or mode.quantizes),
        device_map=placement.device_map,
    )
    if compression == DENSE:
        params, masks = prunable_parameters(model), None
    elif mode.quantizes:  # quantizes the full-precision weights itself (modes/ptq.py, qat.py)
        params, masks = prunable_parameters(model), None
        mode.bits = quantization_bits(mode_name, compression)
    elif mode.applies is not None:  # perturbs the weights itself (modes/ptn.py)
        params, masks = prunable_parameters(model), None
        method, level = split_compression(compression)
        mode.configure(get_method(method).level_argument(level), protocol.seed)
    else:  # also copies in the weights of weight-changing methods (SparseGPT, RTN)
        params, masks = load_compression(model, masks_path)
        method, level = split_compression(compression)
        bits = describe(get_method(method).level_kind, level)["bits"]
        if bits is not None and mode.name == "sparse":
            mode.projection = GridProjection(params, bits)
    if tracker is not None and (accelerator is None or accelerator.is_main_process):
        tracker.start(
            f"junkdna-{study}",
            {"study": study, "setting": setting, "model": model_name, "task": task_name}
            | {"difficulty": difficulty, "compression": compression, "mode": mode_name}
            | protocol.to_dict(),
        )
    checkpoints = None
    if checkpoint_dir is not None:
        fingerprint = run_fingerprint(
            protocol=protocol.to_dict(),
            mode=mode_name,
            compression=compression,
            model=model_name,
            task=task_name,
            difficulty=difficulty,
            subset=subset,
            subset_seed=subset_seed,
            inputs=inputs_hash(
                model_dir, masks_path, *task_inputs(task, world)
            ),  # content, not names
        )
        checkpoints = Checkpoints(checkpoint_dir, checkpoint_minutes, fingerprint)
    if mode.trains:
        rows = select_training_rows(
            task.load_split("train", world), difficulty, subset, subset_seed
        )
        with StopRequest() as stop:  # SLURM's warning signal: checkpoint and exit
            training = train(
                model,
                tokenizer,
                adapter,
                task,
                rows,
                protocol,
                mode,
                params,
                masks,
                accelerator,
                checkpoints,
                progress,
                stop,
                tracker=tracker,
            )
    else:
        mode.prepare(params, masks)
        training = {"steps": 0, "n_train": 0}
    training |= {
        "device": placement.device,
        "devices": sorted(model_devices(model)),  # where the parameters really are
        "weights_dtype": str(next(model.parameters()).dtype).removeprefix("torch."),
    }
    mode.verify()
    training.update(mode.summary())
    sparsity = sparsity_report(params)
    record = None
    if accelerator is None or accelerator.is_main_process:
        eval_rows = task.load_split("validation", world)  # whole and seed-independent
        # Evaluation in the protocol's precision too (zero-shot: loaded in that dtype).
        precision = accelerator.autocast() if accelerator else None
        with precision or autocast(placement.device, protocol.precision):
            evaluation = adapter.evaluate(
                model,
                tokenizer,
                task,
                eval_rows,
                protocol.max_length,
                protocol.eval_batch_size,
            )
        examples = evaluation.pop("examples")
        if "generation" in evaluation:  # every decoding setting (adapters/generation.py)
            training["generation"] = evaluation.pop("generation")
        if examples_path is not None:
            write_examples(examples_path, examples | {"item_id": item_ids(task, eval_rows)})
        if out_dir is not None:
            with atomic_dir(out_dir) as tmp:
                model.save_pretrained(str(tmp))
                tokenizer.save_pretrained(str(tmp))
                carry_manifest(model_dir, tmp)
        record = run_record(
            study=study,
            setting=setting,
            model=model_name,
            task=task,
            difficulty=difficulty,
            compression=compression,
            mode=mode_name,
            seed=protocol.seed,
            protocol=protocol,
            evaluation=evaluation,
            sparsity=sparsity,
            training=training,
            wall_time_s=time.time() - start,
            reference_score=task.reference_score(world),
            chance=chance_level(task, eval_rows),
        )
        record.update(provenance(model_dir, world, task, model, tokenizer))
        if tracker is not None:
            tracker.log_record(record)
    if accelerator is not None:
        accelerator.wait_for_everyone()
    return record
