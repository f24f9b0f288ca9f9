"""Block-by-block calibration for Wanda and SparseGPT.

Transformer blocks (the children of the backbone's ``ModuleList``s: RoBERTa's encoder
layers, mBART's encoder then decoder layers, Llama's decoder layers) are pruned one at a
time, in the order the forward pass runs them. For block i the calibration batches run
through the model, already pruned up to block i-1, with hooks collecting the inputs of
block i's prunable linears; a hook on block i then stops the forward pass, the block is
pruned, and the next block calibrates on the pruned model's activations, as the reference
implementations do. Only one block's statistics (e.g. SparseGPT's Hessians, ~1 GB for a 7B
Llama block) exist at a time, so a 7B decoder fits on one GPU. The price of needing no
architecture-specific code (mBART's decoder blocks need the encoder's output) is that block
i re-runs blocks 0..i-1: about L/2 full forward passes for L blocks.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any, Protocol

import torch
from tqdm import tqdm

from pipeline.compress.base import Target


class LayerStatistic(Protocol):
    def add(self, inputs: torch.Tensor) -> None: ...


class _StopForward(Exception):
    """Raised by the hook on the block being calibrated: nothing after it needs to run."""


def _stop(*_: Any) -> None:
    raise _StopForward


def _run(model: Any, batches: list[dict[str, Any]]) -> None:
    device = next(model.parameters()).device
    with torch.no_grad():
        for batch in batches:
            with contextlib.suppress(_StopForward):
                model(**{k: v.to(device) for k, v in batch.items()}, use_cache=False)


def transformer_blocks(model: Any, batches: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    """(name, module) of every transformer block, in the order the forward pass runs them."""
    candidates = {}
    for name, module in model.named_modules():
        nested = any(name.startswith(f"{outer}.") for outer in candidates)
        if isinstance(module, torch.nn.ModuleList) and not nested:
            candidates.update({f"{name}.{i}": child for i, child in enumerate(module)})
    order: list[str] = []
    hooks = [
        module.register_forward_pre_hook(lambda *_, name=name: order.append(name))
        for name, module in candidates.items()
    ]
    try:
        _run(model, batches[:1])
    finally:
        for hook in hooks:
            hook.remove()
    return [(name, candidates[name]) for name in dict.fromkeys(order)]


def prune_block_by_block(
    target: Target,
    statistic: Callable[[Any], LayerStatistic],
    prune: Callable[[str, Any, Any], torch.Tensor],
    desc: str,
) -> dict[str, torch.Tensor]:
    """Calibrate and prune every prunable weight, one block at a time.

    ``statistic(linear)`` makes an accumulator fed with each input batch of ``linear``;
    ``prune(name, param, statistic)`` prunes ``param`` in place (pruned weights become
    exactly zero) and returns its mask (True = kept).
    """
    if not target.calibration:
        raise ValueError(f"{desc} needs calibration batches")
    model, params = target.model, target.params
    blocks = transformer_blocks(model, target.calibration)
    owners = {
        name: next((b for b, _ in blocks if name.startswith(f"{b}.")), None) for name in params
    }
    outside = [name for name, owner in owners.items() if owner is None]
    if outside:
        raise ValueError(
            f"{desc} prunes weights inside transformer blocks only; outside: "
            f"{outside[:3]} (use the default prunable policy 'backbone')"
        )
    masks = {}
    for block_name, block in tqdm(blocks, desc=desc, mininterval=2):
        names = [name for name, owner in owners.items() if owner == block_name]
        if not names:
            continue
        stats, hooks = {}, []
        for name in names:
            linear = model.get_submodule(name.removesuffix(".weight"))
            stats[name] = stat = statistic(linear)
            hooks.append(
                linear.register_forward_hook(lambda _m, inputs, _o, stat=stat: stat.add(inputs[0]))
            )
        hooks.append(block.register_forward_hook(_stop))
        try:
            _run(model, target.calibration)
        finally:
            for hook in hooks:
                hook.remove()
        with torch.no_grad():
            for name in names:
                masks[name] = prune(name, params[name], stats.pop(name)).cpu()
    return {name: masks[name] for name in params}
