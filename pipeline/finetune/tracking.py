"""Optional experiment tracking of one run: its training loss and learning rate per step and
its evaluation metrics, sent to TensorBoard, Weights & Biases or MLflow through accelerate's
tracker classes (accelerate.tracking), so a sweep of thousands of runs can be watched in the
tool a lab already uses. Off unless the config's ``tracking.backend`` names one.

The tracker is built directly rather than through ``Accelerator(log_with=...)``: a zero-shot
cell has no accelerator, and accelerate drops a tracker whose package is missing without a
word, where a requested one must fail loudly. Only the main process logs.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
from pathlib import Path
from typing import Any

BACKENDS = ("none", "tensorboard", "wandb", "mlflow")
# The package each backend needs (the name pip installs and Python imports).
PACKAGES = {"tensorboard": "tensorboard", "wandb": "wandb", "mlflow": "mlflow"}


class Tracker:
    """One run's tracker: ``log(values, step)`` and ``finish()``; a no-op when off. TensorBoard
    writes the run's event files to ``<root>/<run>``."""

    def __init__(self, backend: str = "none", root: str | Path = "", run: str = "") -> None:
        if backend not in BACKENDS:
            raise ValueError(f"tracking.backend: {backend!r} is not one of {list(BACKENDS)}")
        if backend != "none" and importlib.util.find_spec(PACKAGES[backend]) is None:
            raise ValueError(
                f"tracking.backend: {backend!r} needs the {PACKAGES[backend]} package "
                f"(pip install {PACKAGES[backend]}), or set tracking.backend: none"
            )
        if backend != "none" and not (root and run):
            raise ValueError(f"tracking.backend {backend!r} needs tracking.dir (--tracking-dir)")
        self.backend, self.root, self.run = backend, Path(root) if root else None, run
        self._tracker: Any = None

    @property
    def on(self) -> bool:
        return self.backend != "none"

    def start(self, project: str, config: dict[str, Any]) -> None:
        """Open the run (``project``: the W&B project or MLflow experiment) and record its
        identity and protocol as hyperparameters (scalars only: nested values as text)."""
        if not self.on:
            return
        from accelerate import tracking

        self.root.mkdir(parents=True, exist_ok=True)
        if self.backend == "tensorboard":
            # flush_secs: a killed job's events reach the disk within 30 s
            tracker = tracking.TensorBoardTracker(self.run, self.root, flush_secs=30)
        elif self.backend == "wandb":  # online, or WANDB_MODE=offline into <root>/wandb
            tracker = tracking.WandBTracker(project, name=self.run, dir=str(self.root))
        else:  # MLflow: MLFLOW_TRACKING_URI (a server) if set, else a file store in <root>
            if "MLFLOW_TRACKING_URI" not in os.environ:
                import mlflow

                mlflow.set_tracking_uri((self.root / "mlruns").resolve().as_uri())
            tracker = tracking.MLflowTracker(project, run_name=self.run)
        tracker.start()
        tracker.store_init_configuration(
            {k: v if isinstance(v, (bool, int, float, str)) else str(v) for k, v in config.items()}
        )
        self._tracker = tracker
        atexit.register(self.finish)  # a run that raises still closes its tracker

    def log(self, values: dict[str, float], step: int) -> None:
        if self._tracker is not None:
            self._tracker.log(values, step=step)

    def log_losses(self, losses: list[float], first_step: int, scheduler: Any) -> None:
        """Each step's training loss (step numbers from 1, as the optimizer counts them) and
        the learning rate after the last of them."""
        for i, loss in enumerate(losses):
            self.log({"train/loss": loss}, first_step + i + 1)
        if losses:
            self.log({"train/lr": float(scheduler.get_last_lr()[0])}, first_step + len(losses))

    def log_record(self, record: dict[str, Any]) -> None:
        """The run's evaluation (every metric, the loss, the set's size) and its training
        summary, at its last step (zero-shot: step 0)."""
        training = record["training"]
        summary = {
            "last_epoch_loss": training.get("train_loss"),
            "time_s": training.get("train_time_s"),
            "steps_per_s": training.get("steps_per_s"),
        }
        evaluation = {"loss": record["loss"], "n_eval": record["n_eval"]}
        self.log(
            scalar_metrics("eval", record["metrics"] | evaluation)
            | scalar_metrics("train", summary),
            training["steps"],
        )

    def finish(self) -> None:
        if self._tracker is not None:
            self._tracker.finish()
            self._tracker = None


def scalar_metrics(prefix: str, values: dict[str, Any]) -> dict[str, float]:
    """The numbers of ``values`` (nested dicts flattened with ``/``), under ``prefix``."""
    out: dict[str, float] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            out |= scalar_metrics(f"{prefix}/{key}", value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[f"{prefix}/{key}"] = float(value)
    return out
