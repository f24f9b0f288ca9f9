"""Transfer modes (paper §5), one registry.

A mode decides how a compression mask shapes fine-tuning through three hooks:
``prepare`` (before the first step), ``after_backward`` (gradients) and ``after_step``
(weights). ``masks`` maps prunable parameter -> bool tensor with True = kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class TransferMode:
    name: str
    uses_mask: bool
    description: str
    state: dict[str, Any] = field(default_factory=dict)

    def prepare(self, params: dict[str, Any], masks: dict[str, Any] | None) -> None:
        """Called once, before training."""

    def after_backward(self, params: dict[str, Any], masks: dict[str, Any] | None) -> None:
        """Called after every backward pass, before the optimizer step."""

    def after_step(self, params: dict[str, Any], masks: dict[str, Any] | None) -> None:
        """Called after every optimizer step."""


def _zero_pruned(params: dict[str, Any], masks: dict[str, Any]) -> None:
    import torch

    with torch.no_grad():
        for name, param in params.items():
            param.mul_(masks[name].to(param.device, param.dtype))


class Dense(TransferMode):
    def __init__(self) -> None:
        super().__init__("dense", False, "plain fine-tuning of the pre-trained model")


class Sparse(TransferMode):
    """Mask fixed; pruned weights are exactly zero after every step, the last included.

    Gradients of pruned weights are zeroed before each step, so the optimizer's moments for
    them stay zero and neither Adam's update nor decoupled weight decay can move them; the
    weights are re-zeroed after each step as well.
    """

    def __init__(self) -> None:
        super().__init__("sparse", True, "fine-tune the pruned model with its mask fixed")

    def prepare(self, params, masks):
        _zero_pruned(params, masks)

    def after_backward(self, params, masks):
        for name, param in params.items():
            if param.grad is not None:
                param.grad.mul_(masks[name].to(param.device, param.grad.dtype))

    def after_step(self, params, masks):
        _zero_pruned(params, masks)


class SparseToDense(TransferMode):
    def __init__(self) -> None:
        super().__init__("sparse_to_dense", True,
                         "start from the pruned model; pruned weights are free to regrow")

    def prepare(self, params, masks):
        _zero_pruned(params, masks)


class DenseFreeze(TransferMode):
    """The weights pruning would remove stay at their pre-trained values, bit for bit."""

    def __init__(self) -> None:
        super().__init__("dense_freeze", True,
                         "dense fine-tuning with the small weights frozen at pre-trained values")

    def prepare(self, params, masks):
        self.state["frozen"] = {
            name: param.detach()[~masks[name]].clone() for name, param in params.items()
        }

    def after_backward(self, params, masks):
        for name, param in params.items():
            if param.grad is not None:
                param.grad.mul_(masks[name].to(param.device, param.grad.dtype))

    def after_step(self, params, masks):
        import torch

        with torch.no_grad():
            for name, param in params.items():
                param[~masks[name]] = self.state["frozen"][name]


MODES = {"dense": Dense, "sparse": Sparse, "sparse_to_dense": SparseToDense,
              "dense_freeze": DenseFreeze}


def get_mode(name: str) -> TransferMode:
    try:
        return MODES[name]()
    except KeyError:
        raise ValueError(f"unknown transfer mode {name!r}; allowed: {sorted(MODES)}")
