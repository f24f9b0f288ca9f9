"""What a compression level means on an x axis: a sparsity, an N:M pattern, a bit width or a
noise scale.

The compression registry says which kind of level a method takes and
``pipeline.compress.levels`` what a path level means; this only maps that onto the axes of
the analysis. Dense runs sit at sparsity 0, at 32 bits (fp32) and at noise scale 0.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline import paths
from pipeline.compress.levels import describe
from pipeline.compress.registry import get_method

DENSE_BITS = 32.0


@dataclass(frozen=True)
class Level:
    kind: str  # "dense" | "pruning" | "quantization" | "noise"
    structure: str  # "dense", "unstructured", "N:M, M=8", ..., "quantization", "noise"
    x: float  # nominal sparsity for pruning, bits for quantization, scale for noise


def compression_axis(method: str, level: str) -> Level:
    """Where the compression ``method-level`` sits on the analysis' x axis (kind, structure,
    nominal sparsity or bits); ValueError naming the label and what is allowed."""

    if method == paths.DENSE:
        return Level("dense", "dense", 0.0)
    kind = get_method(method).level_kind
    try:
        meaning = describe(kind, level)
    except ValueError as err:
        raise ValueError(f"compression {paths.compression_label(method, level)!r}: {err}") from err
    if kind == "bits":
        return Level("quantization", "quantization", float(meaning["bits"]))
    if kind == "scale":
        return Level("noise", "noise", float(meaning["scale"]))
    structure = "unstructured" if kind == "sparsity" else f"N:M, M={meaning['m']}"
    return Level("pruning", structure, float(meaning["sparsity"]))
