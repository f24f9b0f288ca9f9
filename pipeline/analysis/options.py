"""The analysis settings of a study (config block ``analysis:``), with their defaults."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from pipeline.compress.registry import METHODS
from pipeline.keys import check_known

DEFAULT_MARGIN = {"chance": 0.05, "ratio": 0.02}


@dataclass(frozen=True)
class Analysis:
    """How the study's claims are judged.

    confidence: level of every interval and so of every verdict.
    tolerance: a normalized score at or above it counts as "as good as dense" (0.99 = within
      1% of dense): the safe-sparsity analysis, not the claims.
    margin: the smallest effect that matters, per normalization, fixed before the data
      (docs/statistics.md §5): a claim "does not hold" only when its one-sided upper bound
      is below it. Chance-corrected 0.05 = 5% of the dense model's headroom above chance;
      ratio 0.02 = 2% of the dense score (the same effect at a dense score 0.8 over chance
      0.5 would be 0.019 on the ratio scale).
    min_seeds: fewer seeds than this and a claim is undecided, whatever its interval says.
    bootstrap_resamples: replicates of the hierarchical bootstrap (seeds, then evaluation
      examples within each seed; docs/statistics.md). 2000 is ample for 95% percentile
      intervals (Efron & Tibshirani 1993, ch. 19) and keeps the paper-scale verdict fast.
    trend_min_levels: a curve enters the monotone-drop trend test (claim a) only with at
      least this many levels, dense included (fewer cannot show a trend that can fail).
    headroom_se: a level enters the claims only if its dense score is at least chance plus
      this many standard errors of its evaluation set.
    methods: the pruning methods whose curves the claims pool (the hypothesis is about
      magnitude pruning: unstructured and N:M).
    published_tolerance: at 100% data a dense run more than this (a fraction of the metric)
      below its model's published dev score fails a difficulty gate (analysis/gates.py).
    quick_look: the study is shrunk to show every output in minutes (configs/quick.yaml):
      its verdict opens by saying it is too small to decide anything.
    setting_methods: per setting, the methods its claims read instead of ``methods`` (a
      setting's ``claims_methods``: setting 3's figure prunes per layer, so its claims read
      ``magnitude_layer``; its other methods stay secondary rows of figures and tables).
    random_control: the matched random control (claim d); the method whose per-layer counts
      it copies is the control's own ``matches`` (pipeline/compress/registry.py), not a
      choice: a config could otherwise compare it with a method it was never matched to.
    """

    confidence: float = 0.95
    tolerance: float = 0.99
    min_seeds: int = 3
    bootstrap_resamples: int = 2000
    trend_min_levels: int = 4
    headroom_se: float = 5.0
    methods: tuple[str, ...] = ("magnitude", "magnitude_nm")
    random_control: str = "random"
    quick_look: bool = False
    margin: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_MARGIN))
    # Designated difficulty pairs per setting ([easier, harder] level or task names), from
    # the config's settings (``settings.<name>.pairs``), not from the analysis block.
    pairs: dict[str, list[list[str]]] = field(default_factory=dict)

    published_tolerance: float = 0.03
    setting_methods: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # A margin given for one normalization keeps the default of the other.
        object.__setattr__(self, "margin", {**DEFAULT_MARGIN, **self.margin})

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Analysis:
        """From a whole study config (its ``analysis`` block; defaults where absent), with
        each setting's designated ``pairs`` and ``claims_methods``."""
        values = dict(config.get("analysis", {}))
        settings = {
            name: block
            for name, block in (config.get("settings") or {}).items()
            if isinstance(block, dict)
        }
        pairs = {
            name: [list(p) for p in block["pairs"]]
            for name, block in settings.items()
            if block.get("pairs")
        }
        if pairs:
            values["pairs"] = pairs
        chosen = {
            name: block["claims_methods"]
            for name, block in settings.items()
            if "claims_methods" in block
        }
        if chosen:
            values["setting_methods"] = chosen
        return cls.from_dict(values)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Analysis:
        check_known(values, (f.name for f in fields(cls)), "analysis")
        values = dict(values)
        if "methods" in values:
            values["methods"] = tuple(values["methods"])
        if "setting_methods" in values:
            values["setting_methods"] = {k: tuple(v) for k, v in values["setting_methods"].items()}
        out = cls(**values)
        for name, value in out.margin.items():
            if name not in DEFAULT_MARGIN:
                raise ValueError(
                    f"analysis.margin: unknown normalization {name!r}; allowed: "
                    f"{sorted(DEFAULT_MARGIN)}"
                )
            if not 0 < value < 1:
                raise ValueError(f"analysis.margin.{name}: {value} is not in (0, 1)")
        for setting, pairs in out.pairs.items():
            for pair in pairs:
                if len(pair) != 2 or pair[0] == pair[1]:
                    raise ValueError(
                        f"settings.{setting}.pairs: {pair!r} is not an [easier, harder] pair "
                        "of two different level or task names"
                    )
        if not 0.5 < out.confidence < 1:
            raise ValueError(f"analysis.confidence: {out.confidence} is not in (0.5, 1)")
        if not 0 < out.tolerance <= 1:
            raise ValueError(f"analysis.tolerance: {out.tolerance} is not in (0, 1]")
        if out.trend_min_levels < 3:
            raise ValueError(
                f"analysis.trend_min_levels: {out.trend_min_levels} must be at least 3"
            )
        if out.headroom_se < 0:
            raise ValueError(f"analysis.headroom_se: {out.headroom_se} must be at least 0")
        if out.published_tolerance < 0:
            raise ValueError(
                f"analysis.published_tolerance: {out.published_tolerance} must be at least 0"
            )
        if out.min_seeds < 2:
            raise ValueError(f"analysis.min_seeds: {out.min_seeds} must be at least 2")
        for setting, chosen in out.setting_methods.items():
            for name in chosen:
                if name not in METHODS:
                    raise ValueError(
                        f"settings.{setting}.claims_methods: {name!r} is not one of "
                        f"{sorted(METHODS)}"
                    )
        for key, name in [("methods", m) for m in out.methods] + [
            ("random_control", out.random_control),
        ]:
            if name not in METHODS:
                raise ValueError(f"analysis.{key}: {name!r} is not one of {sorted(METHODS)}")
        controls = sorted(m.name for m in METHODS.values() if m.matches)
        if out.random_control not in controls:
            raise ValueError(
                f"analysis.random_control: {out.random_control!r} is not a matched control; "
                f"allowed: {controls}"
            )
        return out

    @property
    def matched_to(self) -> str:
        """The method whose per-layer counts the random control copies."""
        return METHODS[self.random_control].matches

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @property
    def digest(self) -> str:
        """12 hex digits identifying every setting that decides a verdict (this block and
        the designated pairs): printed with the verdict, so a margin moved after the data
        shows."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:12]
