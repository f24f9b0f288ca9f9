"""The compression-method interface every registry entry implements."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from pipeline.compress.levels import PARSE
from pipeline.compress.options import NoOptions, parse_options


@dataclass
class Target:
    """What a method compresses.

    ``model`` is the backbone (calibrated methods run it forward); ``params`` maps prunable
    name -> parameter (see prunable.py); ``calibration`` is a list of input batches for
    methods that need data, else None; ``options`` the method's typed options (options.py).
    """

    model: Any
    params: dict[str, Any]
    seed: int = 0
    calibration: list[dict[str, Any]] | None = None
    options: Any = NoOptions()


@dataclass(frozen=True)
class CompressionMethod:
    """A way to compress the prunable weights at a level given as a path-safe string.

    ``entry`` names ``module:function``; the function takes ``(target, parsed_level)`` and
    returns ``{name: bool tensor}`` with True = kept. Methods with ``changes_weights`` update
    ``target.params`` in place (the caller stores them); the others must leave them
    unchanged, except that calibrated ones zero what they prune so later layers calibrate
    on the pruned model. The function is imported on first use, so the registry (read by
    the Snakefile) loads without torch. ``options`` is the frozen dataclass of the method's
    own hyper-parameters (pipeline/compress/options.py), or its ``module:Class`` name, so
    that a method module declares it without the registry importing that module; the
    function reads ``target.options``.
    """

    name: str
    level_kind: str  # "sparsity" | "nm" | "bits" | "scale" (see levels.py)
    entry: str
    description: str
    needs_calibration: bool = False
    changes_weights: bool = False
    seeded: bool = False  # the mask is a random draw: one per run seed (paths.SEEDED_MASK)
    # A control: the method whose per-layer pruned counts this one copies (claim d compares
    # the two at equal sparsity); declared by the control's function, not chosen in a config.
    matches: str | None = None
    options: type | str = NoOptions

    def level_argument(self, level: str) -> Any:
        """What the method's function takes for a path level: a sparsity (float), an N:M
        pair ``(n, m)``, a bit width (int) or a noise scale (float); ValueError naming the
        allowed form."""
        return PARSE[self.level_kind](level)

    @property
    def options_class(self) -> type:
        if isinstance(self.options, str):
            module, _, name = self.options.partition(":")
            return getattr(importlib.import_module(module), name)
        return self.options

    def parse_options(self, raw: dict[str, Any]) -> Any:
        """Typed options from ``compression.options.<name>`` (defaults for what is unset)."""
        return parse_options(self.options_class, raw, f"compression.options.{self.name}")

    def compress(self, target: Target, level: str) -> dict[str, Any]:
        module, _, function = self.entry.partition(":")
        return getattr(importlib.import_module(module), function)(
            target, self.level_argument(level)
        )
