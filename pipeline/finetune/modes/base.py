"""The transfer-mode interface: how a compression mask shapes fine-tuning (paper §5).

The trainer calls ``prepare`` once on the pre-trained (or resumed-from) model, then
``after_backward`` before and ``after_step`` after every optimizer step, and ``verify`` at
the end. Hooks run every step, so a mode precomputes what it needs in ``prepare`` (float
masks on the parameters' device and dtype) and works in place: the step-time benchmark
(bench/bench_finetune.py) holds the masked modes to within 5% of dense.

A mode's tensors are rebuilt by ``prepare`` from the pre-trained model and the mask, which
is why a resumed run calls ``prepare`` before it loads the checkpoint. A mode whose state
evolves during training returns it from ``state_dict`` so the checkpoint carries it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pipeline.compress.levels import describe
from pipeline.compress.registry import get_method
from pipeline.paths import split_compression


class TransferMode:
    """``quantizes``: the mode quantizes the full-precision weights itself at ``bits`` (set
    by the run from the compression label ``rtn-<b>bit``) instead of loading the stored
    compression; ``from_dense_run``: it starts from the cell's dense fine-tuned model
    rather than the pre-trained one (the workflow passes that folder as the model);
    ``applies``: the level kind of the compressions the mode applies itself to the weights
    it loads (``bits``: ptq, qat; ``scale``: ptn), so it reads no stored compression."""

    name: ClassVar[str]
    uses_mask: ClassVar[bool | None]  # None: works with or without a mask
    trains: ClassVar[bool] = True
    quantizes: ClassVar[bool] = False
    from_dense_run: ClassVar[bool] = False
    applies: ClassVar[str | None] = None
    description: ClassVar[str]
    label: ClassVar[str]  # the name figures print ("sparse transfer")
    bits: int | None = None

    def configure(self, level: Any, seed: int) -> None:
        """For a mode that applies a compression itself and does not quantize (``applies``):
        the parsed level of the run's compression and the run's seed, before ``prepare``."""

    def prepare(self, params: dict[str, Any], masks: dict[str, Any] | None) -> None:
        """Called once before training; ``masks`` maps name -> bool tensor (True = kept)."""

    def after_backward(self) -> None:
        """Called after every backward pass, before gradient clipping and the step."""

    def after_step(self) -> None:
        """Called after every optimizer step."""

    def verify(self) -> None:
        """Raise if the mode's promise does not hold for the trained weights."""

    def summary(self) -> dict[str, Any]:
        """Facts about what the mode did, added to the run record's ``training``."""
        return {}

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Counterpart of :meth:`state_dict`; nothing to restore by default."""


def quantization_bits(mode_name: str, compression: str) -> int:
    """The bit width of a quantization compression label (``rtn-4bit`` -> 4), for the
    modes that quantize themselves; a clear error for any other compression."""

    method, level = split_compression(compression)
    if get_method(method).level_kind != "bits":
        raise ValueError(
            f"mode {mode_name!r} quantizes: it needs a compression of bit-width kind "
            f"(e.g. rtn-4bit), not {compression!r}"
        )
    return describe("bits", level)["bits"]


def check_mask_names(params: dict[str, Any], masks: dict[str, Any]) -> None:
    """A clear error when ``masks`` and ``params`` name different tensors."""
    if set(params) != set(masks):
        raise ValueError(
            f"mask names do not match the prunable parameters: missing "
            f"{sorted(set(params) - set(masks))[:3]}, extra "
            f"{sorted(set(masks) - set(params))[:3]}"
        )


def keep_factors(params: dict[str, Any], masks: dict[str, Any]) -> list[tuple[Any, Any]]:
    """``(parameter, float keep mask)`` pairs, the mask on the parameter's device and dtype,
    so that per-step masking is one in-place multiply."""
    check_mask_names(params, masks)
    return [(p, masks[n].to(device=p.device, dtype=p.dtype)) for n, p in params.items()]


def mask_gradients(pairs: list[tuple[Any, Any]]) -> None:
    """Zero the gradients of pruned weights, so the optimizer's moments for them stay zero."""
    for param, keep in pairs:
        if param.grad is not None:
            param.grad.mul_(keep)
