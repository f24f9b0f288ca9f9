"""Resumable training checkpoints, written atomically every N minutes of wall time.

A checkpoint costs the same whatever the step count (model, optimizer state: 1.5 GB for
roberta-base, 7 GB for mBART), and what it saves is compute time, so the interval is a
clock time (``checkpoint_minutes``, 20 by default): a killed job loses at most that much
work, on a fast GPU or a slow CPU alike. Only what resuming needs is written (the state
below); only the newest checkpoint is kept.

Accelerate's ``save_state``/``load_state`` capture the model, optimizer, scheduler, gradient
scaler, every RNG (python, numpy, torch, CUDA) and the registered objects (the trainer's
loop position and data order, the transfer mode's state). Each checkpoint is written to
``step-N.partial`` and renamed to ``step-N`` when complete, so a job killed at any moment
leaves either the previous checkpoint or the new one, never a torn one; older ones are
removed after the rename. A checkpoint is only resumed by the run it belongs to (same
fingerprint: the run spec's cell and protocol, and the content of the model, mask and data
it reads, pipeline/finetune/spec.py); a stale one is discarded.

The folder lives in the run folder but is not a declared Snakemake output, so Snakemake
does not delete it when the job fails and a rerun resumes; the verb removes it on success.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.io import read_json, write_json

STEP_DIR = re.compile(r"^step-(\d+)$")


class Checkpoints:
    """A run's checkpoint folder, saving every ``minutes`` of wall time (0 = never)."""

    def __init__(
        self,
        root: str | Path,
        minutes: float,
        fingerprint: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if minutes < 0:
            raise ValueError(
                f"checkpoint_minutes must be >= 0 (0 = never checkpoint), got {minutes}"
            )
        self.root = Path(root)
        self.minutes = minutes
        self.fingerprint = fingerprint
        self.clock = clock
        self.last = clock()  # the run's start, then the last save

    def _complete(self) -> list[tuple[int, Path]]:
        if not self.root.is_dir():
            return []
        found = [
            (int(m.group(1)), p)
            for p in self.root.iterdir()
            if (m := STEP_DIR.match(p.name)) and (p / "meta.json").is_file()
        ]
        return sorted(found)

    def resume(self, accelerator: Any) -> Path | None:
        """Load the newest complete checkpoint of this run into everything registered with
        ``accelerator``; anything else in the folder (partial writes, checkpoints of another
        protocol or cell) is discarded. Returns the checkpoint loaded, if any."""
        mine = [
            p
            for _, p in self._complete()
            if read_json(p / "meta.json").get("fingerprint") == self.fingerprint
        ]
        newest = mine[-1] if mine else None
        if accelerator.is_main_process and self.root.is_dir():
            for path in self.root.iterdir():
                if path != newest:
                    print(f"checkpoint: discarding {path}", flush=True)
                    shutil.rmtree(path, ignore_errors=True)
        accelerator.wait_for_everyone()
        if newest is not None:
            accelerator.load_state(str(newest))
            print(f"checkpoint: resumed from {newest}", flush=True)
        return newest

    def due(self, step: int, total: int) -> bool:
        """Whether ``minutes`` have passed since the start or the last save (never after the
        last step: the outputs follow at once). Host clock only: no device sync."""
        elapsed = self.clock() - self.last
        return self.minutes > 0 and step < total and elapsed >= self.minutes * 60

    def save(self, accelerator: Any, step: int) -> Path:
        final = self.root / f"step-{step:08d}"
        partial = final.with_name(final.name + ".partial")
        if accelerator.is_main_process:
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir(parents=True)
        accelerator.wait_for_everyone()
        # Pickled weights: safetensors would drop tied weights (mBART, tied LM heads).
        accelerator.save_state(str(partial), safe_serialization=False)
        if accelerator.is_main_process:
            write_json(partial / "meta.json", {"step": step, "fingerprint": self.fingerprint})
            partial.rename(final)  # atomic: the checkpoint appears complete or not at all
            for _, older in self._complete():
                if older != final:
                    shutil.rmtree(older, ignore_errors=True)
        accelerator.wait_for_everyone()
        self.last = self.clock()
        return final


def clear_checkpoints(root: str | Path) -> None:
    """Remove a run's checkpoint folder (once its outputs are safely written)."""
    shutil.rmtree(root, ignore_errors=True)
