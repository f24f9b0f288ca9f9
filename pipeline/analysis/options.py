"""The analysis settings of a study (config block ``analysis:``), with their defaults."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from pipeline.compress.registry import METHODS


@dataclass(frozen=True)
class Analysis:
    """How the study's claims are judged.

    confidence: level of every interval and so of every verdict.
    tolerance: a normalized score at or above it counts as "as good as dense" (0.99 = within
      1% of dense); 1 - tolerance is also the margin within which two scores are "equal".
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
      below its model's published dev score fails calibration (pipeline/tasks/published.py).
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
    published_tolerance: float = 0.03
    setting_methods: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Analysis:
        """From a whole study config (its ``analysis`` block; defaults where absent), with
        each setting's ``claims_methods``."""
        chosen = {
            name: block["claims_methods"]
            for name, block in config.get("settings", {}).items()
            if "claims_methods" in block
        }
        values = config.get("analysis", {})
        return cls.from_dict({**values, "setting_methods": chosen} if chosen else values)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Analysis:
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"analysis: unknown keys {sorted(unknown)}; allowed: {sorted(known)}")
        values = dict(values)
        if "methods" in values:
            values["methods"] = tuple(values["methods"])
        if "setting_methods" in values:
            values["setting_methods"] = {k: tuple(v) for k, v in values["setting_methods"].items()}
        out = cls(**values)
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
    def margin(self) -> float:
        """Two normalized scores closer than this are practically equal."""
        return 1 - self.tolerance
