"""Post-training noise (PTN): the dense fine-tuned model with Gaussian noise on its backbone.

The control arm of claim (e), built like post-training quantization (modes/ptq.py): the
cell's dense fine-tuned model (the workflow passes it as the model folder) gets
N(0, (s * row std)^2) noise on every prunable weight (pipeline/compress/noise.py, scale s
from the compression ``noise-<s>sd``, drawn with the run's seed) and is evaluated without
training, so its score divided by the dense run's is the cost of that damage, paired seed by
seed, at the price of one evaluation. The head stays as fine-tuned. The record's
``training`` holds the achieved relative perturbation ||W' - W|| / ||W||.
"""

from __future__ import annotations

from typing import Any

from pipeline.finetune.modes.base import TransferMode


class PostTrainingNoise(TransferMode):
    name = "ptn"
    label = "post-training noise"  # how figures name it
    uses_mask = True  # needs a noise compression (its scale), not stored weights
    applies = "scale"
    from_dense_run = True
    trains = False
    description = "add Gaussian noise (scale x row std) to the dense fine-tuned backbone"
    scale: float | None = None
    seed: int = 0

    def configure(self, level: Any, seed: int) -> None:
        """The noise scale (from the compression label ``noise-<s>sd``) and the run's seed."""
        self.scale, self.seed = float(level), seed

    def prepare(self, params: dict[str, Any], masks: dict[str, Any] | None) -> None:
        from pipeline.compress.noise import add_row_noise, relative_perturbation

        if self.scale is None:
            raise RuntimeError("ptn: no noise scale configured (a noise-<s>sd compression)")
        self._achieved = relative_perturbation(add_row_noise(params, self.scale, self.seed))

    def verify(self) -> None:
        achieved = self._achieved["relative_perturbation"]
        if not achieved > 0:
            raise RuntimeError(f"ptn: noise scale {self.scale} left the backbone unchanged")

    def summary(self) -> dict[str, Any]:
        return {
            "noise_scale": self.scale,
            "noise_seed": self.seed,
            "relative_perturbation": self._achieved["relative_perturbation"],
        }
