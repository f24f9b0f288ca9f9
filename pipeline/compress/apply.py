"""Bring a stored compression onto a model at fine-tune time.

A compression folder (``masks/{model}/{METHOD-LEVEL}/``) holds ``mask.npz`` and
``report.json``, plus ``weights.safetensors`` for methods that change weights (SparseGPT,
quantization): the new values of the prunable backbone weights, named as in prunable.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.compress.base import Target
from pipeline.compress.masks import load_masks
from pipeline.compress.prunable import DEFAULT_POLICY, includes_head, prunable_parameters
from pipeline.compress.registry import get_method
from pipeline.io import atomic_path, read_json
from pipeline.paths import REPORT_FILE, WEIGHTS_FILE


def save_weights(path: str | Path, params: dict[str, Any]) -> None:
    """Store the (compressed) prunable weights as safetensors, atomically."""
    from safetensors.torch import save_file

    tensors = {name: p.detach().cpu().contiguous() for name, p in params.items()}
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata={"format": "pt"})


def apply_compressed_weights(model: Any, path: str | Path) -> None:
    """Copy stored compressed weights into ``model``'s backbone (any head, any device)."""
    import torch
    from safetensors.torch import load_file

    params = prunable_parameters(model)
    stored = load_file(str(path))
    missing, unknown = sorted(set(params) - set(stored)), sorted(set(stored) - set(params))
    if missing or unknown:
        raise ValueError(
            f"{path} does not match the model's prunable weights "
            f"(missing {missing[:3]}, unknown {unknown[:3]})"
        )
    with torch.no_grad():
        for name, tensor in stored.items():
            if tensor.shape != params[name].shape:
                raise ValueError(
                    f"{path}: {name} has shape {tuple(tensor.shape)}, the model "
                    f"{tuple(params[name].shape)}"
                )
            params[name].copy_(tensor)


def head_inclusive_masks(
    params: dict[str, Any], method_name: str, level: str, seed: int, options: dict | None = None
) -> dict[str, Any]:
    """Recompute a data-free method's masks over backbone + task head (paper's GLUE code):
    the head only exists once the task model is built, and it shares the global ranking."""
    method = get_method(method_name)
    if method.needs_calibration or method.changes_weights:
        raise ValueError(
            f"config key 'compression.prunable': pruning the task head works with "
            f"data-free mask methods only, not {method_name!r}"
        )
    target = Target(None, params, seed, options=method.parse_options(options or {}))
    return method.compress(target, level)


def load_compression(model: Any, mask_path: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(prunable params, masks) of ``model`` under the stored compression.

    Applies the stored weights of weight-changing methods, and, when the compression's
    prunable policy includes the task head, recomputes the masks with the head (the
    policy, method, level and seed come from ``report.json`` next to the mask).
    """
    folder = Path(mask_path).parent
    report = read_json(folder / REPORT_FILE) if (folder / REPORT_FILE).exists() else {}
    policy = report.get("prunable", DEFAULT_POLICY)
    if (folder / WEIGHTS_FILE).exists():
        apply_compressed_weights(model, folder / WEIGHTS_FILE)
    params = prunable_parameters(model, policy)
    if includes_head(policy):
        masks = head_inclusive_masks(
            params, report["method"], report["level"], report["seed"], report.get("options")
        )
    else:
        masks = load_masks(mask_path)
    if set(masks) != set(params):
        raise ValueError(f"mask {mask_path} does not match the model's prunable parameters")
    return params, masks
