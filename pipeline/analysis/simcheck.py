"""The planted-truth suite: simulated tables at a chosen effect size per claim, judged by
the real engine (item bootstrap, seed stages, pre-training t interval, claims, Holm).

For a claim and a size t (0: null; the margin; 1.5 x the margin) :func:`design` sets that
claim's planted statistic to t on the chance-corrected scale (the others keep the default
effect design), :func:`run` draws ``n`` tables and judges them, and the result says per
claim how often the 95% interval held the truth, how often the claim held and how often it
did not hold. Shared by ``tests/test_stats_simulated.py`` (a 50-table smoke run) and
``bench/bench_stats_suite.py`` (400 tables per condition, B = 499).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from pipeline.analysis.claims import CLAIMS, judge_blocks
from pipeline.analysis.decide import FAILS, HOLDS
from pipeline.analysis.options import Analysis
from pipeline.analysis.points import build_points, layout, stack
from pipeline.analysis.resample import run_index, run_replicates
from pipeline.analysis.simulate import Effects, Noise, draw, skeleton, true_accuracy
from pipeline.analysis.tables import normalize
from pipeline.analysis.weighted import Examples

PRIMARY = "chance"


@dataclass(frozen=True)
class Design:
    """The default design of the checks: 3 pre-training x 2 fine-tuning seeds, 200 items
    of 2 examples per level, intra-item correlation 0.3."""

    pretrain_seeds: int = 3
    seeds: int = 2
    noise: Noise = Noise()


JOINT = "bcde"  # claims whose sizes are set together (independent parameters)


def _effects_for(key: str, size: float) -> Effects:
    """Effects whose claim ``key`` has the planted chance-corrected statistic ``size``
    (exactly: each is linear in its parameter; :func:`truth` checks it)."""
    base = Effects()
    if key == JOINT:
        for one in JOINT:
            base = replace(base, **_changes(_effects_for(one, size)))
        return base
    mean_x = float(np.mean([0.2, 0.4, 0.6, 0.8]))
    if key == "a":  # flat -> a pairwise trend of 0.4 * slope on 0..0.8 in steps of 0.2
        slope = size / 0.4
        return Effects(slope, slope, 0.2, 0.2, 0.2, 0.0, 0.0, 0.0)
    if key == "b":
        return replace(base, slope_hard=base.slope_easy + size / mean_x)
    if key == "c":
        hard = base.s2d_easy + size / mean_x
        return replace(base, s2d_hard=hard, freeze=base.s2d_easy)
    # (d), (e): the statistic is gap x the mean damage of the shared range's grid.
    top = 0.8 * base.slope_easy  # magnitude's easier level reaches less damage
    grid = np.linspace(0.1, 1.0, 10).mean() * top
    if key == "d":
        return replace(base, d_gap=size / grid)
    return replace(base, e_gap=size / grid)


def _changes(effects: Effects) -> dict[str, float]:
    """The fields of ``effects`` that differ from the default design."""
    default = Effects()
    return {k: v for k, v in vars(effects).items() if getattr(default, k) != v}


def _frame(design: Any, values: np.ndarray) -> Any:
    frame = normalize(design.assign(value=values, _design=np.arange(len(design))))
    return frame.reset_index(drop=True).assign(_run=np.arange(len(frame)))


@dataclass
class Condition:
    """One claim at one size: per table, the primary scale's verdict and interval."""

    key: str
    size: float
    truth: float
    verdicts: list[str]
    lows: np.ndarray
    highs: np.ndarray

    @property
    def coverage(self) -> float:
        return float(np.mean((self.lows <= self.truth) & (self.truth <= self.highs)))

    def rate(self, verdict: str) -> float:
        return float(np.mean([v == verdict for v in self.verdicts]))


def simulate(
    key: str, size: float, n: int, analysis: Analysis, design: Design = Design(), seed: int = 0
) -> tuple[Any, dict[str, float]]:
    """(the stacked points of ``n`` tables of claim ``key`` (or every claim of JOINT) at
    ``size``, the truth of every claim)."""
    effects = _effects_for(key, size)
    skel = skeleton(design.seeds, pretrain_seeds=1)
    accuracy = true_accuracy(skel, effects)
    truth_frame = _frame(skel, accuracy)
    shape = layout(truth_frame)
    order = truth_frame["_design"].to_numpy()
    index = run_index(truth_frame)
    dense, chance = index.dense, truth_frame["chance"].to_numpy()
    rep0 = run_replicates(truth_frame, None, analysis.bootstrap_resamples)
    truth_claims = judge_blocks(build_points(truth_frame, rep0, shape=shape), analysis)[0]
    truth = {c.key: c.by_normalization[PRIMARY].estimate.value for c in truth_claims}
    full = skeleton(design.seeds, pretrain_seeds=design.pretrain_seeds)
    full_accuracy = true_accuracy(full, effects)
    per_pretrain = len(skel)
    rng = np.random.default_rng(seed)
    ids = np.arange(design.noise.n_items * design.noise.per_item)
    items = ids // design.noise.per_item
    nan = np.full(len(ids), np.nan)
    blocks = []
    for _ in range(n):
        values, correct = draw(rng, full, full_accuracy, noise=design.noise)
        for p in range(design.pretrain_seeds):
            part = slice(p * per_pretrain, (p + 1) * per_pretrain)
            v, c = values[part][order], correct[part][order]
            frame = truth_frame.assign(
                value=v,
                normalized=v / v[dense],
                normalized_chance=(v - chance) / (v[dense] - chance),
            )
            per_run = [(ids, Examples(c[i], nan, nan, []), items) for i in range(len(c))]
            rep = run_replicates(
                frame,
                None,
                analysis.bootstrap_resamples,
                per_run=per_run,  # one item resample for every pre-training seed
                index=index,
            )
            blocks.append(
                build_points(
                    frame,
                    rep,
                    shape=shape,
                    seed=p,
                    dense=dense,
                    draw_seeds=design.pretrain_seeds < 2,
                )
            )
    return stack(blocks, group=design.pretrain_seeds), truth


def judge_condition(
    points: Any, truth: dict[str, float], keys: str, size: float, analysis: Analysis
) -> dict[str, Condition]:
    """Per claim of ``keys``: the primary scale's verdicts and intervals on every table."""
    studies = [{c.key: c for c in s} for s in judge_blocks(points, analysis, details=False)]
    out = {}
    for key in keys:
        judged = [s[key].by_normalization[PRIMARY] for s in studies]
        out[key] = Condition(
            key,
            size,
            truth[key],
            [j.verdict for j in judged],
            np.array([j.estimate.low for j in judged]),
            np.array([j.estimate.high for j in judged]),
        )
    return out


def run(
    keys: str, size: float, n: int, analysis: Analysis, design: Design = Design(), seed: int = 0
) -> dict[str, Condition]:
    """Draw and judge ``n`` tables of claim ``keys`` (one claim, or JOINT) at ``size``."""
    points, truth = simulate(keys, size, n, analysis, design, seed)
    return judge_condition(points, truth, keys, size, analysis)


def sizes(analysis: Analysis) -> dict[str, float]:
    """The three conditions of every claim: null, effect = margin, 1.5 x margin."""
    m = analysis.margin[PRIMARY]
    return {"null": 0.0, "margin": m, "1.5x margin": 1.5 * m}


def tables_for(key: str, name: str) -> str:
    """Which drawn tables judge claim ``key`` at size ``name``: (b)-(e) share their null
    and 1.5 x margin tables (their parameters are independent); at the margin each has its
    own, the others keeping the default effects (all four at the margin at once would make
    Holm's step-down cost power that one claim at the margin does not pay); (a) has its
    own tables, since a flat curve leaves the other claims without damage."""
    return key if key == "a" or name == "margin" else JOINT


def plan(claims: str, names: list[str]) -> list[tuple[str, str]]:
    """The (tables, size name) draws that judge ``claims`` at ``names``, each once."""
    return sorted({(tables_for(k, n), n) for k in claims for n in names})


def merge(parts: list[Condition]) -> Condition:
    """One condition from its chunks (tables drawn and judged in batches bound memory)."""
    first = parts[0]
    return Condition(
        first.key,
        first.size,
        first.truth,
        [v for p in parts for v in p.verdicts],
        np.concatenate([p.lows for p in parts]),
        np.concatenate([p.highs for p in parts]),
    )


__all__ = [
    "CLAIMS", "FAILS", "HOLDS", "Condition", "Design", "merge", "plan", "run", "simulate",
    "sizes", "tables_for",
]  # fmt: skip
