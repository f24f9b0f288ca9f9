"""The sparsity denominator: which parameters count as prunable.

One definition for the whole study: the weight matrices of the linear layers inside the
backbone (attention and MLP projections). Embeddings, norms, biases, the pooler and the
task head are excluded unless the config says ``include_head``. Names are relative to
the backbone (``model.base_model``), so a mask computed on the pre-trained checkpoint
applies unchanged to the same backbone under any task head.
"""

from __future__ import annotations

from typing import Any

EXCLUDED_NAME_PARTS = ("pooler",)
DENOMINATOR = ("weight matrices of nn.Linear layers in the backbone (attention + MLP); "
               "excluded: embeddings, norms, biases, pooler, task head")


def prunable_parameters(model: Any, include_head: bool = False) -> dict[str, Any]:
    """Map prunable parameter name -> parameter, in a stable (module) order.

    With ``include_head`` the task head's linear weights join, named with the prefix
    ``head:`` and their path in the full model (the paper's GLUE code pruned them too).
    """
    import torch

    backbone = model.base_model
    params = {}
    for name, module in backbone.named_modules():
        if isinstance(module, torch.nn.Linear) and not any(
            part in name for part in EXCLUDED_NAME_PARTS
        ):
            params[f"{name}.weight"] = module.weight
    if include_head and backbone is not model:
        for name, module in model.named_modules():
            is_backbone = name == model.base_model_prefix or name.startswith(
                model.base_model_prefix + "."
            )
            if isinstance(module, torch.nn.Linear) and not is_backbone:
                params[f"head:{name}.weight"] = module.weight
    return params


def sparsity_report(params: dict[str, Any], masks: dict[str, Any] | None = None) -> dict:
    """Achieved sparsity (fraction of exact zeros) overall and per layer.

    With ``masks`` the count is of pruned positions (mask False); without, of weights that
    are exactly zero, which is how a fine-tuned model is re-verified.
    """
    per_layer, total, pruned_total = {}, 0, 0
    for name, param in params.items():
        numel = param.numel()
        pruned = int((~masks[name]).sum()) if masks is not None else int((param == 0).sum())
        per_layer[name] = {"numel": numel, "pruned": pruned, "sparsity": pruned / numel}
        total += numel
        pruned_total += pruned
    return {
        "denominator": DENOMINATOR,
        "denominator_numel": total,
        "pruned": pruned_total,
        "achieved_sparsity": pruned_total / total if total else 0.0,
        "per_layer": per_layer,
    }
