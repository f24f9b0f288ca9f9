"""Registry of compression methods: adding one is a new module plus one line here.

Names never contain ``-`` (it separates method and level in paths); levels: see levels.py.
"""

from __future__ import annotations

from pipeline.compress.base import CompressionMethod

_M = "pipeline.compress"
METHODS: dict[str, CompressionMethod] = {
    m.name: m
    for m in (
        CompressionMethod(
            "magnitude",
            "sparsity",
            f"{_M}.magnitude:global_magnitude",
            "global unstructured magnitude pruning over all prunable weights",
        ),
        CompressionMethod(
            "magnitude_layer",
            "sparsity",
            f"{_M}.magnitude:layer_magnitude",
            "unstructured magnitude pruning, each matrix to the same sparsity",
        ),
        CompressionMethod(
            "magnitude_row",
            "sparsity",
            f"{_M}.magnitude:row_magnitude",
            "unstructured magnitude pruning, each output row to the same sparsity",
        ),
        CompressionMethod(
            "magnitude_nm",
            "nm",
            f"{_M}.magnitude:nm_magnitude",
            "N:M magnitude pruning: N largest kept of every M consecutive inputs",
        ),
        CompressionMethod(
            "random",
            "sparsity",
            f"{_M}.random_control:random_matched",
            "random pruning, per-layer counts matched to global magnitude pruning",
            seeded=True,
            matches="magnitude",
        ),
        CompressionMethod(
            "wanda",
            "sparsity",
            f"{_M}.wanda:wanda_unstructured",
            "Wanda: |W| x input norm, per output row",
            needs_calibration=True,
        ),
        CompressionMethod(
            "wanda_nm",
            "nm",
            f"{_M}.wanda:wanda_nm",
            "Wanda N:M: |W| x input norm, N kept of every M consecutive inputs",
            needs_calibration=True,
        ),
        CompressionMethod(
            "sparsegpt",
            "sparsity",
            f"{_M}.sparsegpt:sparsegpt_unstructured",
            "SparseGPT: second-order pruning with weight reconstruction",
            needs_calibration=True,
            changes_weights=True,
        ),
        CompressionMethod(
            "sparsegpt_nm",
            "nm",
            f"{_M}.sparsegpt:sparsegpt_nm",
            "SparseGPT N:M: second-order pruning with weight reconstruction",
            needs_calibration=True,
            changes_weights=True,
        ),
        CompressionMethod(
            "rtn",
            "bits",
            f"{_M}.quantize:rtn",
            "round-to-nearest quantization, symmetric, per output channel",
            changes_weights=True,
        ),
        CompressionMethod(
            "noise",
            "scale",
            f"{_M}.noise:gaussian_noise",
            "Gaussian noise, std = scale x each row's weight std (control of claim e)",
            changes_weights=True,
        ),
    )
}


def get_method(name: str) -> CompressionMethod:
    try:
        return METHODS[name]
    except KeyError:
        raise ValueError(
            f"unknown compression method {name!r}; allowed: {sorted(METHODS)}"
        ) from None


def gpus(name: str) -> int:
    """GPUs a compression job asks for (the SLURM profile): a calibrated method runs the
    model forward on calibration data, on one GPU; the others sort or round weights on CPU."""
    return int(get_method(name).needs_calibration)
