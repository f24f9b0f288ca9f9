"""The fine-tuning loop: one protocol, any transfer mode, any adapter (model kind).

Accelerate runs it on CPU, one GPU, or several (``accelerate launch``), in fp32 or mixed
precision (bf16/fp16 autocast; the weights stay fp32, so masks and frozen weights stay
exact). On CPU in fp32 it is deterministic for a fixed seed, and a run resumed from a
checkpoint ends bit-identical to an uninterrupted one: the data order is one seeded
permutation per epoch, stored with the loop position, and every other draw (dropout)
comes from torch's RNG, which the checkpoint restores.

With several processes each takes an interleaved share of every global batch (so the
optimizer-step count, and the schedule, do not depend on the number of GPUs).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from pipeline.finetune.adapters.base import Adapter, to_device
from pipeline.finetune.checkpoint import Checkpoints
from pipeline.finetune.modes.base import TransferMode
from pipeline.finetune.protocol import PRECISIONS, Protocol
from pipeline.finetune.tracking import Tracker

# Steps between two reads of the loss on the host (progress bar); a run-time knob only.
LOG_EVERY = 50
# Fault injection for the resume tests: after this step (and its checkpoint, if one is due)
# the process announces itself on stdout and waits to be killed or signalled.
HOLD_ENV = "JUNKDNA_FINETUNE_HOLD_AT_STEP"
# SLURM's warning before the walltime kill (the profile's `--signal=TERM@<s>`), or USR1.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGUSR1)


class StopRequest:
    """Catches SLURM's warning signal while the loop runs: the step under way finishes, a
    checkpoint is written, and the process exits (status 1, so Snakemake retries the job
    and the retry resumes from that checkpoint) instead of losing up to
    ``checkpoint_minutes`` of work to the kill that follows. Only the main thread may
    install handlers; elsewhere (a test harness thread) the signals keep their default."""

    def __init__(self) -> None:
        self.signal: int | None = None
        self._previous: dict[int, Any] = {}

    def _handle(self, number: int, _frame: Any) -> None:
        self.signal = number

    def __enter__(self) -> StopRequest:
        if threading.current_thread() is threading.main_thread():
            for number in STOP_SIGNALS:
                self._previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(self, *exc: Any) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)


class TrainingState:
    """Loop position, data order and per-step losses; saved with every checkpoint.

    The losses live in a device tensor written each step without reading it back
    (``loss.item()`` each step would stall the GPU until the step finished); the host reads
    them every ``log_every`` steps for the progress bar, and once at the end."""

    def __init__(self, seed: int, total: int = 0, device: Any = "cpu") -> None:
        import torch

        self.step = 0
        self.generator = torch.Generator().manual_seed(seed)
        self.order = torch.empty(0, dtype=torch.long)
        self.losses = torch.zeros(total, dtype=torch.float32, device=device)

    def batch_indices(self, n_examples: int, batch_size: int, per_epoch: int) -> list[int]:
        """Example indices of the current step's global batch (new permutation per epoch)."""
        import torch

        position = self.step % per_epoch
        if position == 0:
            self.order = torch.randperm(n_examples, generator=self.generator)
        return self.order[position * batch_size : (position + 1) * batch_size].tolist()

    def record_loss(self, loss: Any) -> None:
        self.losses[self.step] = loss.detach().float()

    def mean_loss(self, last: int) -> float:
        """Mean loss of the last ``last`` steps done (one host sync)."""
        window = self.losses[max(self.step - last, 0) : self.step]
        return float(window.double().mean().item())

    def state_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "order": self.order,
            "generator": self.generator.get_state(),
            "losses": self.losses.cpu(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.step = int(state["step"])
        self.order = state["order"]
        self.generator.set_state(state["generator"])
        self.losses = state["losses"].to(self.losses.device)


def make_accelerator(protocol: Protocol, device: str | None = None) -> Any:
    """The accelerator of this process on ``device`` (``--device``, pipeline/device.py; under
    ``accelerate launch`` each process takes its own GPU); its precision is fixed for the
    process's lifetime (accelerate keeps one state per process), so one process fine-tunes
    one precision. The protocol's ``tf32`` is applied here."""
    from accelerate import Accelerator
    from accelerate.utils import DataLoaderConfiguration

    from pipeline.device import allow_tf32, resolve

    placement = resolve(device)
    if placement.spread:
        raise ValueError(
            "--device auto: fine-tuning runs one model copy per GPU (accelerate launch); "
            "use --device cuda"
        )
    if placement.is_cuda and ":" in placement.device:
        import torch

        torch.cuda.set_device(placement.device)  # accelerate takes the current device
    allow_tf32(protocol.tf32)
    # split_batches: one scheduler step per optimizer step, whatever the process count.
    accelerator = Accelerator(
        cpu=placement.device == "cpu",
        mixed_precision=PRECISIONS[protocol.precision],
        dataloader_config=DataLoaderConfiguration(split_batches=True),
    )
    if protocol.precision != "fp32" and not accelerator.native_amp:
        # accelerate would silently train in fp32 while the protocol says otherwise.
        raise ValueError(
            f"protocol.precision: {protocol.precision!r} is not available on "
            f"{accelerator.device}; use 'fp32' there"
        )
    return accelerator


def cell_placement(protocol: Protocol, trains: bool, device: str | None) -> tuple[Any | None, Any]:
    """(accelerator, placement) of one cell. A cell that trains gets an accelerator on
    ``device``; one that only evaluates (zero-shot) needs none: it loads in the protocol's
    dtype straight onto ``device``, or spread over the visible GPUs (``--device auto``)."""
    from pipeline.device import resolve

    placement = resolve(device)
    if not trains:
        return None, placement
    accelerator = make_accelerator(protocol, device)
    return accelerator, replace(placement, device=str(accelerator.device))


def _fusable(params: list[Any]) -> bool:
    """Whether torch's fused AdamW kernel takes these parameters: the same update as the
    per-tensor loop, in one kernel per step (a tiny model's step spends a tenth of its time
    in the loop's per-tensor calls on CPU: bench/bench_job.py)."""
    return all(p.dtype.is_floating_point and p.device.type in ("cpu", "cuda") for p in params)


def make_optimizer(model: Any, protocol: Protocol, n_examples: int) -> tuple[Any, Any]:
    import torch
    from transformers import get_scheduler

    params = list(model.parameters())
    optimizer = torch.optim.AdamW(
        params, lr=protocol.lr, weight_decay=protocol.weight_decay, fused=_fusable(params)
    )
    scheduler = get_scheduler(
        protocol.schedule,
        optimizer,
        num_warmup_steps=protocol.warmup_steps(n_examples),
        num_training_steps=protocol.total_steps(n_examples),
    )
    return optimizer, scheduler


def _checkpoint_due(checkpoints: Checkpoints, step: int, total: int, accelerator: Any) -> bool:
    """One decision for every process (their clocks differ; a save waits for all of them):
    the main process's, broadcast every ``LOG_EVERY`` steps when there are several."""
    if accelerator.num_processes == 1:
        return checkpoints.due(step, total)
    if step % LOG_EVERY:
        return False
    import torch
    from accelerate.utils import broadcast

    flag = torch.tensor([int(checkpoints.due(step, total))], device=accelerator.device)
    return bool(broadcast(flag).item())


def _stop_due(stop: StopRequest, step: int, accelerator: Any) -> bool:
    """Whether to stop after this step, one decision for every process (as
    :func:`_checkpoint_due`: the signal reaches each rank at its own step)."""
    if accelerator.num_processes == 1:
        return stop.signal is not None
    if step % LOG_EVERY:
        return False
    import torch
    from accelerate.utils import broadcast

    flag = torch.tensor([int(stop.signal is not None)], device=accelerator.device)
    return bool(broadcast(flag).item())


def _stop(
    stop: StopRequest,
    step: int,
    total: int,
    checkpoints: Checkpoints | None,
    saved: bool,
    accelerator: Any,
) -> None:
    """Write the checkpoint of ``step`` (unless it was just written) and exit."""
    name = signal.Signals(stop.signal or signal.SIGTERM).name
    where = "no checkpoint folder: the retry starts over"
    if checkpoints is not None:
        if not saved:
            checkpoints.save(accelerator, step)
        where = f"checkpoint in {checkpoints.root}; the retry resumes from it"
    raise SystemExit(f"finetune: {name} at step {step} of {total}: {where}")


def _hold_if_asked(step: int, stop: StopRequest) -> None:
    if os.environ.get(HOLD_ENV) == str(step):
        print(f"holding at step {step}", flush=True)
        while stop.signal is None:
            time.sleep(0.05)


class Loaded(NamedTuple):
    """A model loaded for a task (pipeline/finetune/run.py, load_for_task)."""

    adapter: Adapter
    model: Any
    tokenizer: Any


@dataclass
class Session:
    """How a training run resumes, stops and reports; nothing of it changes a result."""

    checkpoints: Checkpoints | None = None  # resumed from if one exists, saved when due
    progress: bool = True  # a progress bar on stderr
    stop: StopRequest | None = None  # inside ``with stop``, SLURM's warning ends the run
    tracker: Tracker | None = None  # receives the training losses


def train(
    loaded: Loaded,
    task: Any,
    rows: list[dict],
    protocol: Protocol,
    mode: TransferMode,
    weights: tuple[dict[str, Any], dict[str, Any] | None],
    accelerator: Any,
    session: Session | None = None,
) -> dict[str, Any]:
    """Fine-tune the loaded model in place (resuming from the session's checkpoints if one
    exists); returns a summary of the run. ``weights`` are the prunable parameters and the
    masks that refer to them. Inside ``with stop``, SLURM's warning signal ends the run with
    a checkpoint (:class:`StopRequest`)."""
    import torch
    from tqdm import tqdm

    adapter, model, tokenizer = loaded
    params, masks = weights
    session = session or Session()
    checkpoints, stop, tracker = session.checkpoints, session.stop, session.tracker
    examples = adapter.encode(tokenizer, task, rows, protocol.max_length)
    if not examples:
        raise ValueError(f"task {task.name}: no training rows to fine-tune on")
    per_epoch = protocol.steps_per_epoch(len(examples))
    total = protocol.total_steps(len(examples))
    optimizer, scheduler = make_optimizer(model, protocol, len(examples))
    wrapped, optimizer, scheduler = accelerator.prepare(model, optimizer, scheduler)
    mode.prepare(params, masks)
    state = TrainingState(protocol.seed, total, accelerator.device)
    accelerator.register_for_checkpointing(state, mode)
    torch.manual_seed(protocol.seed)
    resumed = checkpoints is not None and checkpoints.resume(accelerator) is not None
    start_step, start = state.step, time.time()
    # The tracker (pipeline/finetune/tracking.py) gets each step's loss from the main
    # process, LOG_EVERY steps at a time: one host read per window, none per step.
    tracked = tracker is not None and tracker.on and accelerator.is_main_process
    logged = start_step  # a resumed run logs from its checkpoint's step on
    rank, world = accelerator.process_index, accelerator.num_processes
    wrapped.train()
    bar = tqdm(
        total=total,
        initial=start_step,
        unit="step",
        file=sys.stderr,
        mininterval=2,
        desc=f"finetune {task.name} [{mode.name}]",
        disable=not (session.progress and accelerator.is_main_process),
    )
    stop = stop or StopRequest()  # without handlers installed (``with``): never set
    while state.step < total:
        indices = state.batch_indices(len(examples), protocol.batch_size, per_epoch)
        shard = indices[rank::world] or indices[:1]  # a tiny last batch is shared
        batch = to_device(
            adapter.collate(tokenizer, [examples[i] for i in shard]), accelerator.device
        )
        # The trainer owns precision: an adapter that calls the model's parts (the prompt
        # readout runs body and head apart, adapters/prompt.py) skips the autocast that
        # accelerate patches into ``wrapped.forward``, so the step runs under it here.
        with accelerator.autocast():
            loss = adapter.forward_loss(wrapped, batch, protocol.label_smoothing)
        accelerator.backward(loss)
        mode.after_backward()
        if protocol.max_grad_norm > 0:
            accelerator.clip_grad_norm_(wrapped.parameters(), protocol.max_grad_norm)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        mode.after_step()
        state.record_loss(loss)
        state.step += 1
        if tracked and state.step % LOG_EVERY == 0:
            tracker.log_losses(state.losses[logged : state.step].tolist(), logged, scheduler)
            logged = state.step
        bar.update(1)
        if state.step % LOG_EVERY == 0 and not bar.disable:
            bar.set_postfix(loss=f"{state.mean_loss(LOG_EVERY):.4f}", refresh=False)
        saved = checkpoints is not None and _checkpoint_due(
            checkpoints, state.step, total, accelerator
        )
        if saved:
            checkpoints.save(accelerator, state.step)
        _hold_if_asked(state.step, stop)
        if state.step < total and _stop_due(stop, state.step, accelerator):
            bar.close()
            _stop(stop, state.step, total, checkpoints, saved, accelerator)
    bar.close()
    elapsed = time.time() - start
    losses = state.losses[:total].tolist()  # one host read, after the last step
    if tracked:
        tracker.log_losses(losses[logged:total], logged, scheduler)
    return {
        "steps": total,
        "epochs": total / per_epoch,
        "n_train": len(examples),
        "train_loss": state.mean_loss(per_epoch),  # the mean training loss of the last epoch
        # Mean training loss in each tenth of the run: has the curve flattened (issue 12)?
        "loss_curve": [
            sum(part) / len(part)
            for part in (losses[i * total // 10 : (i + 1) * total // 10] for i in range(10))
            if part
        ],
        "resumed_from_step": start_step if resumed else None,
        "train_time_s": elapsed,
        "steps_per_s": (total - start_step) / max(elapsed, 1e-9),
    }
