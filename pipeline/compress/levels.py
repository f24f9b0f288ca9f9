"""Compression levels: how a level is written in the config, in paths, and what it means.

A compression is labelled ``METHOD-LEVEL`` in every output path (``paths.compression_label``);
the method name never contains ``-`` and the level is path-safe. Four kinds of level:

==========  =========================  ==================  ======================================
kind        config key (shared list)   config value        path level (example label)
==========  =========================  ==================  ======================================
sparsity    ``sparsities``             ``0.6``             ``0.6``    (``magnitude-0.6``)
nm          ``nm_patterns``            ``"2:4"``           ``2of4``   (``magnitude_nm-2of4``)
bits        ``bits``                   ``4``               ``4bit``   (``rtn-4bit``)
scale       ``noise_scales``           ``0.5``             ``0.5sd``  (``noise-0.5sd``)
==========  =========================  ==================  ======================================

N:M follows the paper's NVIDIA convention: N weights are *kept* in every group of M
consecutive input weights of a row, so ``7:8`` (path ``7of8``) keeps 7 and prunes 1; its
nominal sparsity is 1 - N/M. A scale is a multiple of each weight row's standard deviation
(the Gaussian-noise control, pipeline/compress/noise.py). This module imports nothing
heavy: the Snakefile uses it.
"""

from __future__ import annotations

import re
from typing import Any

from pipeline.paths import fmt

CONFIG_KEYS = {
    "sparsity": "sparsities",
    "nm": "nm_patterns",
    "bits": "bits",
    "scale": "noise_scales",
}
PATH_SYNTAX = {  # how a level of each kind is written in a path (and in --help)
    "sparsity": "0.5: the fraction of prunable weights pruned, in [0, 1)",
    "nm": "2of4: N weights kept of every M consecutive inputs (config '2:4')",
    "bits": "4bit: the bit width, 2..8",
    "scale": "0.5sd: noise std as a multiple of each weight row's std, > 0",
}
MIN_BITS, MAX_BITS = 2, 8

_NM_CONFIG = re.compile(r"^([1-9][0-9]*):([1-9][0-9]*)$")
_NM_PATH = re.compile(r"^([1-9][0-9]*)of([1-9][0-9]*)$")
_BITS_PATH = re.compile(r"^([0-9]+)bit$")
_SCALE_PATH = re.compile(r"^([0-9]+(?:\.[0-9]+)?(?:e[-+][0-9]+)?)sd$")


def parse_sparsity(level: str | float) -> float:
    try:
        value = float(level)
    except ValueError:
        value = -1.0
    if not 0.0 <= value < 1.0:
        raise ValueError(f"sparsity level {level!r}: allowed a number in [0, 1), e.g. 0.5")
    return value


def format_sparsity(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise ValueError(f"sparsity {value!r}: allowed a number in (0, 1)")
    return fmt(value)


def _check_nm(n: int, m: int, shown: str) -> tuple[int, int]:
    if not 1 <= n < m:
        raise ValueError(f"N:M pattern {shown!r}: N (kept) must be in 1..M-1")
    return n, m


def parse_nm(level: str) -> tuple[int, int]:
    """``"2of4"`` -> ``(2, 4)``: N kept of every M."""
    match = _NM_PATH.match(str(level))
    if not match:
        raise ValueError(f"N:M level {level!r}: allowed the form NofM, e.g. 2of4 (N kept of M)")
    return _check_nm(int(match[1]), int(match[2]), level)


def format_nm(value: Any) -> str:
    """Config ``"2:4"`` -> path ``"2of4"``."""
    match = _NM_CONFIG.match(str(value))
    if not match:
        raise ValueError(f"N:M pattern {value!r}: allowed a string 'N:M', e.g. '2:4' (N kept)")
    n, m = _check_nm(int(match[1]), int(match[2]), value)
    return f"{n}of{m}"


def parse_bits(level: str) -> int:
    match = _BITS_PATH.match(str(level))
    if not match or not MIN_BITS <= int(match[1]) <= MAX_BITS:
        raise ValueError(f"bit-width level {level!r}: allowed {MIN_BITS}bit..{MAX_BITS}bit")
    return int(match[1])


def format_bits(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_BITS <= value <= MAX_BITS:
        raise ValueError(f"bit width {value!r}: allowed an integer {MIN_BITS}..{MAX_BITS}")
    return f"{value}bit"


def parse_scale(level: str) -> float:
    match = _SCALE_PATH.match(str(level))
    if not match or not float(match[1]) > 0:
        raise ValueError(f"noise-scale level {level!r}: allowed a number > 0 + 'sd', e.g. 0.5sd")
    return float(match[1])


def format_scale(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(f"noise scale {value!r}: allowed a number > 0 (times each row's std)")
    return f"{fmt(value)}sd"


PARSE = {"sparsity": parse_sparsity, "nm": parse_nm, "bits": parse_bits, "scale": parse_scale}
FORMAT = {
    "sparsity": format_sparsity,
    "nm": format_nm,
    "bits": format_bits,
    "scale": format_scale,
}


def describe(kind: str, level: str) -> dict[str, Any]:
    """What a path level means, for tables and figures: nominal sparsity, bits or noise
    scale."""
    value = PARSE[kind](level)
    out = {"kind": kind, "sparsity": None, "bits": None, "n": None, "m": None, "scale": None}
    if kind == "sparsity":
        return out | {"sparsity": value}
    if kind == "nm":
        n, m = value
        return out | {"sparsity": 1 - n / m, "n": n, "m": m}
    if kind == "scale":
        return out | {"scale": value}
    return out | {"bits": value}
