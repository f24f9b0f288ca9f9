"""Run one cell: load, apply the mode, fine-tune, verify the mode, evaluate, record."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline import load
from pipeline.compress.levels import describe
from pipeline.compress.prunable import prunable_parameters, sparsity_report
from pipeline.compress.quantize import GridProjection
from pipeline.compress.registry import get_method
from pipeline.data.provenance import provenance
from pipeline.device import autocast, load_dtype, model_devices
from pipeline.examples import item_ids, write_examples
from pipeline.finetune.adapters import adapter_for
from pipeline.finetune.adapters.base import load_tokenizer
from pipeline.finetune.checkpoint import Checkpoints, clear_checkpoints
from pipeline.finetune.modes import get_mode
from pipeline.finetune.modes.base import quantization_bits
from pipeline.finetune.spec import RunSpec
from pipeline.finetune.tracking import Tracker
from pipeline.finetune.trainer import Loaded, Session, StopRequest, cell_placement, train
from pipeline.io import atomic_dir, write_json
from pipeline.paths import DENSE, split_compression, split_difficulty
from pipeline.records import Outcome, run_record
from pipeline.staging.hub import carry_manifest
from pipeline.tasks.chance import chance_level
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
) -> Loaded:
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
    return Loaded(adapter, model, tokenizer)


@dataclass
class Run:
    """One run under way: its spec and what was built from it."""

    spec: RunSpec
    task: Any  # the task, configured for the cell's difficulty
    mode: Any  # the transfer mode (pipeline/finetune/modes), configured for the compression
    world: Path | None
    accelerator: Any  # None for a run that does not train (zero-shot)
    placement: Any  # where the model was loaded (pipeline/device.py)
    loaded: Loaded
    weights: tuple[dict[str, Any], dict[str, Any] | None]  # prunable parameters, masks
    tracker: Tracker

    @property
    def is_main(self) -> bool:
        return self.accelerator is None or self.accelerator.is_main_process


def run_cell(spec: RunSpec) -> dict[str, Any] | None:
    """Fine-tune and evaluate one cell; returns its one-row record (None on all but the main
    process of a multi-GPU run). Writes the record to ``spec.out``, the fine-tuned model to
    ``spec.out_dir`` and the per-example outcomes to ``spec.examples_path``
    (pipeline/examples.py), each atomically when given. With ``spec.checkpoint_dir`` the
    run checkpoints every ``spec.checkpoint_minutes`` of wall time and resumes from the last
    one; the checkpoints are removed once the record is written. The model runs on
    ``spec.device`` (pipeline/device.py); the tracker ``spec.tracking`` (None: off)
    receives the training losses and the evaluation metrics."""
    start = time.time()
    run = prepare(spec)
    training = fine_tune(run) | where_it_ran(run)
    run.mode.verify()
    training.update(run.mode.summary())
    record = record_of(run, training, start) if run.is_main else None
    run.tracker.finish()
    if run.accelerator is not None:
        run.accelerator.wait_for_everyone()
    if record is not None and spec.out is not None:
        write_json(spec.out, record)
        if spec.checkpoint_dir is not None:
            clear_checkpoints(spec.checkpoint_dir)
    return record


def checked_mode(spec: RunSpec) -> Any:
    """The spec's transfer mode, refused when it does not fit the compression."""
    mode = get_mode(spec.mode_name)
    if mode.uses_mask is not None and mode.uses_mask == (spec.compression == DENSE):
        raise ValueError(
            f"mode {spec.mode_name!r} and compression {spec.compression!r} do not fit: "
            "dense runs take no mask, the other modes need one"
        )
    return mode


def prepare(spec: RunSpec) -> Run:
    """Configure the task and the mode, load the model onto its device and compress it."""
    tracker = Tracker(spec.tracking, spec.tracking_dir or "", spec.run_path)  # fails early
    task = spec.configured_task()
    mode = checked_mode(spec)
    protocol = spec.protocol
    accelerator, placement = cell_placement(protocol, mode.trains, spec.device)
    loaded = load_for_task(
        spec.model_dir,
        task,
        protocol.seed,
        protocol.dropout,
        # Quantizing modes round and verify in fp32 (modes/ptq.py), whatever the precision.
        dtype=load_dtype(protocol.precision, mode.trains or mode.quantizes),
        device_map=placement.device_map,
    )
    weights = compressed_weights(spec, mode, loaded.model)
    world = Path(spec.world_dir) if spec.world_dir else None
    run = Run(spec, task, mode, world, accelerator, placement, loaded, weights, tracker)
    if run.is_main:
        tracker.start(f"junkdna-{spec.study}", tracked_identity(spec))
    return run


def tracked_identity(spec: RunSpec) -> dict[str, Any]:
    """The hyperparameters a tracker records for the run: the cell and its protocol."""
    cell = {"study": spec.study, "setting": spec.setting, "model": spec.model_name}
    cell |= {"task": spec.task_name, "difficulty": spec.difficulty}
    cell |= {"compression": spec.compression, "mode": spec.mode_name}
    return cell | spec.protocol.to_dict()


def compressed_weights(
    spec: RunSpec, mode: Any, model: Any
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The prunable parameters and the masks of the cell's compression; a mode that
    compresses the weights itself is configured for it."""
    from pipeline.compress.apply import load_compression

    if spec.compression == DENSE:
        return prunable_parameters(model), None
    method, level = split_compression(spec.compression)
    if mode.quantizes:  # quantizes the full-precision weights itself (modes/ptq.py, qat.py)
        mode.bits = quantization_bits(spec.mode_name, spec.compression)
        return prunable_parameters(model), None
    if mode.applies is not None:  # perturbs the weights itself (modes/ptn.py)
        mode.configure(get_method(method).level_argument(level), spec.seed)
        return prunable_parameters(model), None
    # also copies in the weights of weight-changing methods (SparseGPT, RTN)
    params, masks = load_compression(model, spec.masks_path)
    bits = describe(get_method(method).level_kind, level)["bits"]
    if bits is not None and mode.name == "sparse":
        mode.projection = GridProjection(params, bits)
    return params, masks


def fine_tune(run: Run) -> dict[str, Any]:
    """Train the cell on its training rows (a mode that does not train only prepares)."""
    spec, mode = run.spec, run.mode
    if not mode.trains:
        mode.prepare(*run.weights)
        return {"steps": 0, "n_train": 0}
    checkpoints = None
    if spec.checkpoint_dir is not None:
        fingerprint = spec.fingerprint()
        checkpoints = Checkpoints(spec.checkpoint_dir, spec.checkpoint_minutes, fingerprint)
    rows = select_training_rows(
        run.task.load_split("train", run.world), spec.difficulty, spec.subset, spec.subset_seed
    )
    with StopRequest() as stop:  # SLURM's warning signal: checkpoint and exit
        session = Session(checkpoints, spec.progress, stop, run.tracker)
        return train(
            run.loaded, run.task, rows, spec.protocol, mode, run.weights, run.accelerator, session
        )


def where_it_ran(run: Run) -> dict[str, Any]:
    model = run.loaded.model
    return {
        "device": run.placement.device,
        "devices": sorted(model_devices(model)),  # where the parameters really are
        "weights_dtype": str(next(model.parameters()).dtype).removeprefix("torch."),
    }


def evaluate(run: Run, eval_rows: list[dict]) -> dict[str, Any]:
    """The validation metrics, in the protocol's precision (zero-shot: loaded in its dtype)."""
    adapter, model, tokenizer = run.loaded
    protocol = run.spec.protocol
    precision = run.accelerator.autocast() if run.accelerator else None
    with precision or autocast(run.placement.device, protocol.precision):
        return adapter.evaluate(
            model, tokenizer, run.task, eval_rows, protocol.max_length, protocol.eval_batch_size
        )


def record_of(run: Run, training: dict[str, Any], start: float) -> dict[str, Any]:
    """Evaluate on the whole (seed-independent) validation split, write the per-example
    outcomes and the model when asked, and return the run's record."""
    spec, task = run.spec, run.task
    sparsity = sparsity_report(run.weights[0])
    eval_rows = task.load_split("validation", run.world)
    evaluation = evaluate(run, eval_rows)
    examples = evaluation.pop("examples")
    if "generation" in evaluation:  # every decoding setting (adapters/generation.py)
        training["generation"] = evaluation.pop("generation")
    if spec.examples_path is not None:
        write_examples(spec.examples_path, examples | {"item_id": item_ids(task, eval_rows)})
    if spec.out_dir is not None:
        save_model(run)
    outcome = Outcome(
        evaluation=evaluation,
        sparsity=sparsity,
        training=training,
        wall_time_s=time.time() - start,
        reference_score=task.reference_score(run.world),
        chance=chance_level(task, eval_rows),
    )
    record = run_record(spec, task, outcome)
    _, model, tokenizer = run.loaded
    record.update(provenance(spec.model_dir, run.world, task, model, tokenizer))
    run.tracker.log_record(record)
    record["budget"] = spec.budget
    return record


def save_model(run: Run) -> None:
    _, model, tokenizer = run.loaded
    with atomic_dir(run.spec.out_dir) as tmp:
        model.save_pretrained(str(tmp))
        tokenizer.save_pretrained(str(tmp))
        carry_manifest(run.spec.model_dir, tmp)
