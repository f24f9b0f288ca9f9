"""The one report every compression writes: method, level, denominator, achieved figures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.compress.base import CompressionMethod
from pipeline.compress.levels import describe
from pipeline.compress.noise import relative_perturbation
from pipeline.compress.prunable import includes_head, sparsity_report


@dataclass(frozen=True)
class Origin:
    """Where a compression came from, recorded beside its figures."""

    seed: int  # of the method's draws (random masks, noise) and calibration batches
    model: str  # the compressed model's folder
    calibration: dict[str, Any] | None  # the calibration data (methods that need it)
    wall_time_s: float


def compression_report(
    method: CompressionMethod,
    level: str,
    params: dict[str, Any],
    masks: dict[str, Any],
    policy: str,
    origin: Origin,
    before: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Denominator and achieved sparsity (of the mask) overall and per layer, plus the bit
    width and the fraction of weights that quantized to zero for quantization methods, and
    the noise scale and achieved relative perturbation ||W' - W|| / ||W|| for noise (from
    ``before``, the weights before the method changed them)."""
    report = sparsity_report(params, masks, policy)
    meaning = describe(method.level_kind, level)
    report.update(
        method=method.name,
        level=level,
        level_kind=method.level_kind,
        description=method.description,
        target_sparsity=meaning["sparsity"],
        bits=meaning["bits"],
        seed=origin.seed,
        model=origin.model,
        changes_weights=method.changes_weights,
        calibration=origin.calibration if method.needs_calibration else None,
        wall_time_s=origin.wall_time_s,
    )
    if meaning["bits"] is not None:
        zeros = 0
        for name, param in params.items():
            layer_zeros = int((param == 0).sum())
            report["per_layer"][name].update(
                bits=meaning["bits"], zero_fraction=layer_zeros / param.numel()
            )
            zeros += layer_zeros
        report["zero_fraction"] = zeros / report["denominator_numel"]
    if meaning["scale"] is not None and before is not None:
        norms = {}
        for name, param in params.items():
            old = before[name].float()
            norms[name] = float(old.square().sum())
            norms[f"{name}:noise"] = float((param.detach().cpu().float() - old).square().sum())
        achieved = relative_perturbation(norms)
        report.update(
            noise_scale=meaning["scale"],
            relative_perturbation=achieved.pop("relative_perturbation"),
        )
        for name, value in achieved["per_layer"].items():
            report["per_layer"][name]["relative_perturbation"] = value
    if includes_head(policy):
        report["head"] = (
            "the task head does not exist yet: it is pruned at fine-tune time "
            "with the same method, level and seed (compress.apply)"
        )
    return report
