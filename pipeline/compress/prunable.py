"""The sparsity denominator: which parameters count as prunable.

One definition for the whole study, chosen by the config's ``compression.prunable``:

* ``backbone`` (the default, the paper's text): the weight matrices of the linear layers
  inside the backbone (``model.base_model``: attention and MLP projections; for mBART the
  encoder and decoder, cross-attention included). Embeddings, norms, biases, the pooler, the
  LM head and the task head are excluded.
* ``backbone_and_head`` (the paper's GLUE code): the same plus the task head's linear
  weights. The head is randomly initialised at fine-tune time, so it is pruned there (see
  apply.py), not in the pre-trained checkpoint.

Names are relative to the backbone, so a mask computed on the pre-trained checkpoint applies
unchanged to the same backbone under any task head; head weights are named ``head:<path>``.
Layer-wise pruning (the paper's TriviaQA code) is a method, ``magnitude_layer``, not a policy.
"""

from __future__ import annotations

from typing import Any

EXCLUDED_NAME_PARTS = ("pooler", "lm_head")  # lm_head: the pre-training head, never a task head
DEFAULT_POLICY = "backbone"
POLICIES = {  # policy -> (includes the task head, denominator in words)
    "backbone": (
        False,
        "weight matrices of nn.Linear layers in the backbone (attention + MLP); "
        "excluded: embeddings, norms, biases, pooler, LM head, task head",
    ),
    "backbone_and_head": (
        True,
        "weight matrices of nn.Linear layers in the backbone "
        "(attention + MLP) and in the task head; excluded: embeddings, "
        "norms, biases, pooler, LM head",
    ),
}


def includes_head(policy: str) -> bool:
    if policy not in POLICIES:
        raise ValueError(
            f"config key 'compression.prunable': {policy!r} is not one of {sorted(POLICIES)}"
        )
    return POLICIES[policy][0]


def prunable_parameters(model: Any, policy: str = DEFAULT_POLICY) -> dict[str, Any]:
    """Map prunable parameter name -> parameter, in a stable (module) order."""
    import torch

    include_head = includes_head(policy)
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
            excluded = any(part in name for part in EXCLUDED_NAME_PARTS)
            if isinstance(module, torch.nn.Linear) and not is_backbone and not excluded:
                params[f"head:{name}.weight"] = module.weight
    return params


def sparsity_report(
    params: dict[str, Any], masks: dict[str, Any] | None = None, policy: str | None = None
) -> dict:
    """Achieved sparsity (fraction of exact zeros) overall and per layer.

    With ``masks`` the count is of pruned positions (mask False); without, of weights that
    are exactly zero, which is how a fine-tuned model is re-verified. The policy defaults to
    the one ``params`` came from (head weights are named ``head:...``).
    """
    if policy is None:
        with_head = any(name.startswith("head:") for name in params)
        policy = "backbone_and_head" if with_head else DEFAULT_POLICY
    per_layer, total, pruned_total = {}, 0, 0
    for name, param in params.items():
        numel = param.numel()
        pruned = int((~masks[name]).sum()) if masks is not None else int((param == 0).sum())
        per_layer[name] = {"numel": numel, "pruned": pruned, "sparsity": pruned / numel}
        total += numel
        pruned_total += pruned
    return {
        "prunable": policy,
        "denominator": POLICIES[policy][1],
        "denominator_numel": total,
        "pruned": pruned_total,
        "achieved_sparsity": pruned_total / total if total else 0.0,
        "per_layer": per_layer,
    }
