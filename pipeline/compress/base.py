"""The compression-method interface every registry entry implements."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CompressionMethod:
    """A way to compress prunable weights at a level given as a path-safe string.

    ``compute_masks(params, level, seed)`` returns ``{name: bool tensor}`` with True = kept,
    computed on the pre-trained weights; it must not modify ``params``.
    """

    name: str
    parse_level: Callable[[str], Any]
    compute_masks: Callable[[dict[str, Any], str, int], dict[str, Any]]
    description: str
