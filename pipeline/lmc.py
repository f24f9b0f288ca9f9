"""Linear mode connectivity between the dense and the sparse fine-tuned model (paper Fig. 10).

θ(α) = (1-α)·θ_dense + α·θ_sparse; the loss barrier is the maximum loss along the path
minus the mean of the two end points' losses (and the metric barrier is the mean of the end
points' metric minus the minimum along the path).
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


def barrier(values: list[float], higher_is_worse: bool) -> float:
    ends = (values[0] + values[-1]) / 2
    return (max(values) - ends) if higher_is_worse else (ends - min(values))


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
        "loss_barrier": barrier([p["loss"] for p in points], higher_is_worse=True),
        "metric_barrier": barrier([p["metrics"][metric] for p in points], higher_is_worse=False),
    }
