"""The five claims of the Junk DNA hypothesis, each as an effect size over seeds with a
bootstrap interval and a verdict (holds / does not hold / undecided).

Every statistic is computed per seed first (a seed is one replicate of the whole study), then
averaged over seeds; the interval resamples seeds. A claim whose rows are absent, or that has
fewer seeds than ``analysis.min_seeds``, is undecided and says why.

(a) monotone drop: Spearman ρ(sparsity, normalized score) along each curve (dense at 0).
(b) steeper when harder: Spearman ρ(hardness, area under the normalized curve) across the
    difficulty levels of a task (across tasks, when each task is one level).
(c) sparse-to-dense does not recover dense on the hardest level: mean deficit 1 - normalized
    over the tested sparsities, against the tolerance margin.
(d) magnitude differs from the matched random control: mean paired difference of normalized
    scores at equal sparsity, against the ±margin equivalence band.
(e) quantization does not order by difficulty like pruning: ρ_quantization - ρ_pruning of (b).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pipeline.analysis.curves import CURVE, curves
from pipeline.analysis.options import Analysis
from pipeline.analysis.stats import (
    UNDECIDED,
    Interval,
    decide_difference,
    decide_one_sided,
    rank_correlation,
    seed_interval,
)


@dataclass
class Claim:
    key: str
    statement: str
    effect: str  # what the effect size is, in words
    interval: Interval
    verdict: str
    reason: str
    details: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "statement": self.statement,
            "effect": self.effect,
            **self.interval.as_dict(),
            "verdict": self.verdict,
            "reason": self.reason,
            "details": self.details,
        }


NO_DATA = Interval(np.nan, np.nan, np.nan, 0)


def _interval(per_seed: Any, analysis: Analysis) -> Interval:
    return seed_interval(per_seed, analysis.confidence, analysis.bootstrap_resamples)


def _undecided(key: str, statement: str, effect: str, why: str) -> Claim:
    return Claim(key, statement, effect, NO_DATA, UNDECIDED, why)


def _detail(keys: dict[str, Any], interval: Interval, verdict: tuple[str, str]) -> dict[str, Any]:
    return {**keys, **interval.as_dict(), "verdict": verdict[0], "reason": verdict[1]}


# Modes in which a compressed model stays compressed to the end: sparse fine-tuning, and
# zero-shot evaluation without fine-tuning (settings 2 and 3). Each mode is its own curve.
COMPRESSED_MODES = ("sparse", "zero_shot")


def _pruning(normalized: Any, analysis: Analysis, modes: tuple[str, ...]) -> Any:
    frame = curves(normalized, "pruning")
    return frame[frame["method"].isin(analysis.methods) & frame["mode"].isin(modes)]


def _with_order_group(frame: Any) -> Any:
    """Add ``order_group``: the set of levels whose difficulty is compared — the levels of
    one task (within-task settings) or, where each task has one level, all of a setting's
    tasks (across-task settings)."""
    frame = frame.copy()
    per_task = frame.groupby(["setting", "model", "task"])["difficulty"].nunique()
    across = per_task.groupby(level=["setting", "model"]).max() == 1
    is_across = [across[(s, m)] for s, m in zip(frame["setting"], frame["model"], strict=True)]
    frame["order_group"] = [
        f"{s}/{m}" if a else f"{s}/{m}/{t}"
        for s, m, t, a in zip(
            frame["setting"], frame["model"], frame["task"], is_across, strict=True
        )
    ]
    return frame


def _areas(frame: Any) -> Any:
    """Area under each per-seed normalized curve, levels equally weighted (the mean score
    over the tested compression levels; equal to the trapezoid area on an even grid)."""
    compressed = _with_order_group(frame[~frame["is_dense"]])
    keys = ["order_group"] + CURVE + ["hardness", "seed"]
    return compressed.groupby(keys, dropna=False)["normalized"].mean().rename("area").reset_index()


def _orderings(frame: Any) -> Any:
    """Per (order group, method, structure, mode, seed): ρ(hardness, area) and the area gap
    easiest - hardest, over levels whose hardness is known (at least two distinct)."""
    import pandas as pd

    areas = _areas(frame)
    areas = areas[np.isfinite(areas["hardness"])]
    rows = []
    keys = ["order_group", "model", "method", "structure", "mode", "seed"]
    for key, group in areas.groupby(keys):
        if group["hardness"].nunique() < 2:
            continue
        ordered = group.sort_values("hardness")
        rows.append(
            {
                **dict(zip(keys, key, strict=True)),
                "rho": rank_correlation(group["hardness"], group["area"]),
                "gap": ordered["area"].iloc[0] - ordered["area"].iloc[-1],
                "n_levels": group["hardness"].nunique(),
            }
        )
    return pd.DataFrame(rows, columns=keys + ["rho", "gap", "n_levels"])


def monotone_drop(normalized: Any, analysis: Analysis) -> Claim:
    key, statement = "a", "Performance falls monotonically as sparsity grows"
    effect = "Spearman ρ(sparsity, normalized score), mean over curves and seeds"
    frame = _pruning(normalized, analysis, COMPRESSED_MODES)
    if frame.empty or frame["is_dense"].all():
        return _undecided(
            key,
            statement,
            effect,
            f"no data: no sparse-mode rows of methods {list(analysis.methods)}",
        )
    rho = (
        frame.groupby(CURVE + ["seed"])[["x", "normalized"]]
        .apply(lambda g: rank_correlation(g["x"], g["normalized"]))
        .rename("rho")
        .reset_index()
    )
    details = []
    for curve, group in rho.groupby(CURVE):
        interval = _interval(group["rho"], analysis)
        details.append(
            _detail(
                dict(zip(CURVE, curve, strict=True)),
                interval,
                decide_one_sided(interval, analysis.min_seeds, 0.0, "below"),
            )
        )
    interval = _interval(rho.groupby("seed")["rho"].mean(), analysis)
    verdict, reason = decide_one_sided(interval, analysis.min_seeds, 0.0, "below")
    return Claim(key, statement, effect, interval, verdict, reason, details)


def steeper_when_harder(normalized: Any, analysis: Analysis) -> Claim:
    key, statement = "b", "Performance falls faster for harder tasks"
    effect = (
        "Spearman ρ(hardness, area under the normalized curve) across difficulty "
        "levels, mean over tasks and seeds (negative: harder keeps less)"
    )
    frame = _pruning(normalized, analysis, COMPRESSED_MODES)
    orders = _orderings(frame) if not frame.empty else None
    if orders is None or orders.empty:
        return _undecided(
            key,
            statement,
            effect,
            "no data: no task with two or more difficulty levels of known order in sparse mode",
        )
    details = []
    for group_key, group in orders.groupby(["order_group", "structure"]):
        interval = _interval(group["rho"], analysis)
        gap = _interval(group["gap"], analysis)
        details.append(
            _detail(
                {
                    "order_group": group_key[0],
                    "structure": group_key[1],
                    "n_levels": int(group["n_levels"].max()),
                    "area_gap_easiest_minus_hardest": gap.mean,
                },
                interval,
                decide_one_sided(interval, analysis.min_seeds, 0.0, "below"),
            )
        )
    interval = _interval(orders.groupby("seed")["rho"].mean(), analysis)
    verdict, reason = decide_one_sided(interval, analysis.min_seeds, 0.0, "below")
    return Claim(key, statement, effect, interval, verdict, reason, details)


def not_recovered(normalized: Any, analysis: Analysis) -> Claim:
    key = "c"
    statement = "Sparse-to-dense fine-tuning does not recover dense performance on harder tasks"
    effect = (
        "deficit 1 - normalized score of sparse-to-dense runs on the hardest level of "
        f"each task, mean over sparsities and seeds (claim: above the margin "
        f"{analysis.margin:g})"
    )
    frame = _pruning(normalized, analysis, ("sparse_to_dense",))
    frame = frame[~frame["is_dense"]]
    if frame.empty:
        return _undecided(
            key,
            statement,
            effect,
            f"no data: no sparse_to_dense rows of methods {list(analysis.methods)}",
        )
    areas = _areas(frame)
    known = areas[np.isfinite(areas["hardness"])]
    levels = known.groupby(["order_group", "structure"])["hardness"].agg(["max", "nunique"])
    levels = levels[levels["nunique"] >= 2]
    if levels.empty:
        return _undecided(
            key,
            statement,
            effect,
            "no data: no task with two or more "
            "difficulty levels of known order in sparse_to_dense mode",
        )
    hardest = known.merge(
        levels["max"].rename("hardness").reset_index(), on=["order_group", "structure", "hardness"]
    )
    hardest = hardest.assign(deficit=1 - hardest["area"])
    details = []
    for (task, difficulty, structure), group in hardest.groupby(
        ["task", "difficulty", "structure"]
    ):
        interval = _interval(group["deficit"], analysis)
        details.append(
            _detail(
                {"task": task, "difficulty": difficulty, "structure": structure},
                interval,
                decide_one_sided(interval, analysis.min_seeds, analysis.margin, "above"),
            )
        )
    interval = _interval(hardest.groupby("seed")["deficit"].mean(), analysis)
    verdict, reason = decide_one_sided(interval, analysis.min_seeds, analysis.margin, "above")
    return Claim(key, statement, effect, interval, verdict, reason, details)


def differs_from_random(normalized: Any, analysis: Analysis) -> Claim:
    key = "d"
    statement = (
        f"Pruning by magnitude ({analysis.matched_to}) differs from the matched "
        f"random control ({analysis.random_control})"
    )
    effect = (
        f"paired difference normalized({analysis.matched_to}) - "
        f"normalized({analysis.random_control}) at equal sparsity, mean over cells and "
        f"seeds (equivalence band ±{analysis.margin:g})"
    )
    frame = curves(normalized, "pruning")
    frame = frame[(frame["mode"] == "sparse") & ~frame["is_dense"]]
    match = ["setting", "model", "task", "difficulty", "structure", "x", "seed"]
    ours = frame[frame["method"] == analysis.matched_to][match + ["normalized"]]
    control = frame[frame["method"] == analysis.random_control][match + ["normalized"]]
    pairs = ours.merge(control, on=match, suffixes=("", "_control"))
    if pairs.empty:
        return _undecided(
            key,
            statement,
            effect,
            f"no data: no sparse-mode rows of "
            f"{analysis.random_control!r} matched to {analysis.matched_to!r}",
        )
    pairs["diff"] = pairs["normalized"] - pairs["normalized_control"]
    details = []
    for (task, difficulty, structure), group in pairs.groupby(["task", "difficulty", "structure"]):
        interval = _interval(group.groupby("seed")["diff"].mean(), analysis)
        details.append(
            _detail(
                {"task": task, "difficulty": difficulty, "structure": structure},
                interval,
                decide_difference(interval, analysis.min_seeds, analysis.margin),
            )
        )
    interval = _interval(pairs.groupby("seed")["diff"].mean(), analysis)
    verdict, reason = decide_difference(interval, analysis.min_seeds, analysis.margin)
    return Claim(key, statement, effect, interval, verdict, reason, details)


def quantization_does_not_order(normalized: Any, analysis: Analysis) -> Claim:
    key = "e"
    statement = "Quantization does not order tasks by difficulty the way pruning does"
    effect = (
        "ρ(hardness, area) under quantization minus the same under pruning "
        f"({', '.join(analysis.methods)}; sparse), mean over tasks and seeds (positive: "
        "quantization orders less)"
    )
    quant = curves(normalized, "quantization")
    if quant.empty:
        return _undecided(key, statement, effect, "no data: no quantization rows")
    prune = _pruning(normalized, analysis, COMPRESSED_MODES)
    q_orders = _orderings(quant)
    p_orders = _orderings(prune) if not prune.empty else q_orders.iloc[0:0]
    if q_orders.empty or p_orders.empty:
        return _undecided(
            key,
            statement,
            effect,
            "no data: quantization and pruning need the "
            "same tasks with two or more difficulty levels of known order",
        )
    keys = ["order_group", "seed"]
    both = (
        q_orders.groupby(keys)["rho"]
        .mean()
        .rename("rho_quantization")
        .to_frame()
        .join(p_orders.groupby(keys)["rho"].mean().rename("rho_pruning"), how="inner")
        .reset_index()
    )
    if both.empty:
        return _undecided(key, statement, effect, "no data: no task compressed both ways")
    both["diff"] = both["rho_quantization"] - both["rho_pruning"]
    details = []
    for group_key, group in both.groupby("order_group"):
        interval = _interval(group["diff"], analysis)
        details.append(
            _detail(
                {
                    "order_group": group_key,
                    "rho_quantization": float(group["rho_quantization"].mean()),
                    "rho_pruning": float(group["rho_pruning"].mean()),
                },
                interval,
                decide_one_sided(interval, analysis.min_seeds, 0.0, "above"),
            )
        )
    interval = _interval(both.groupby("seed")["diff"].mean(), analysis)
    verdict, reason = decide_one_sided(interval, analysis.min_seeds, 0.0, "above")
    return Claim(key, statement, effect, interval, verdict, reason, details)


CLAIMS = (
    monotone_drop,
    steeper_when_harder,
    not_recovered,
    differs_from_random,
    quantization_does_not_order,
)


def judge(normalized: Any, analysis: Analysis) -> list[Claim]:
    """Every claim, in order (a)-(e)."""
    return [claim(normalized, analysis) for claim in CLAIMS]
