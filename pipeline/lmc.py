"""Linear mode connectivity between the dense and the sparse fine-tuned model (paper Fig. 10).

θ(α) = (1-α)·θ_dense + α·θ_sparse. The loss barrier is the largest excess of the loss along
the path over the straight line between its two end points, max_α [L(α) - ((1-α)·L(0) +
α·L(1))] (Frankle et al. 2020's definition), so unequal end points alone make no barrier;
the metric barrier is the same for the metric, which falls instead of rising:
max_α [((1-α)·M(0) + α·M(1)) - M(α)]. Both are 0 when the path is at or better than linear.
"""

from __future__ import annotations

from typing import Any


def interpolate(dense: dict[str, Any], sparse: dict[str, Any], alpha: float) -> dict[str, Any]:
    if dense.keys() != sparse.keys():
        raise ValueError("dense and sparse models have different parameters")
    return {
        k: ((1 - alpha) * dense[k] + alpha * sparse[k])
        if dense[k].is_floating_point()
        else dense[k]
        for k in dense
    }


def barrier(alphas: list[float], values: list[float], higher_is_worse: bool) -> float:
    """Largest excess (worse side) of ``values`` over the line between the end points."""
    import numpy as np

    alpha = np.asarray(alphas, dtype=float)
    v = np.asarray(values, dtype=float)
    linear = (1 - alpha) * v[0] + alpha * v[-1]
    excess = (v - linear) if higher_is_worse else (linear - v)
    return float(max(excess.max(), 0.0))


def lmc_path(
    model: Any,
    dense: dict[str, Any],
    sparse: dict[str, Any],
    alphas: list[float],
    evaluate: Any,
    metric: str,
) -> dict[str, Any]:
    """Evaluate ``model`` loaded with θ(α) for each α (``evaluate(model)`` -> evaluation);
    the loss and ``metric`` barriers along the path."""
    points = []
    for alpha in alphas:
        model.load_state_dict(interpolate(dense, sparse, alpha))
        result = evaluate(model)
        points.append({"alpha": alpha, "loss": result["loss"], "metrics": result["metrics"]})
    return {
        "points": points,
        "loss_barrier": barrier(alphas, [p["loss"] for p in points], higher_is_worse=True),
        "metric_barrier": barrier(
            alphas, [p["metrics"][metric] for p in points], higher_is_worse=False
        ),
    }
