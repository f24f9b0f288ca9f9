"""The five claims of the Junk DNA hypothesis as statistics of the curve points.

Each claim is a statistic oriented so that the hypothesis says "effect > 0", computed on
the data and on every hierarchical bootstrap replicate at once (rows of
``Points.values``), under each normalization. The chance-corrected scale is primary (the
ratio has a floor at chance / dense that differs between tasks); the ratio is printed beside
it. Every statistic is computed per setting and pooled as the mean over settings, with
Cochran's Q and I^2 across the settings (:mod:`pipeline.analysis.decide` turns them into
verdicts; Holm across the five claims).

(a) falls as sparsity grows: per curve (at least ``analysis.trend_min_levels`` levels,
    dense included), the mean over all pairs of its levels of score(lower sparsity) -
    score(higher sparsity), a pairwise trend contrast; pooled over curves. One test per
    claim, inside the Holm family: it fails (upper bound below the margin) on a flat or
    rising set of curves at any grid size.
(b) harder levels lose more: per ordered pair (easier, harder), area(easier) - area(harder)
    over their common compressed levels. The order is the setting's designated ``pairs``,
    else the level names' registry order (fraction, book, ...), else measured hardness,
    resampled inside the bootstrap (each replicate orders the pair by its own dense
    scores).
(c) sparse-to-dense leaves a larger deficit on harder levels: (b)'s gap for
    sparse-to-dense curves, and, where the dense-with-freezing control ran, its area minus
    sparse-to-dense's on the harder level; where a larger training budget ran, the harder
    level's deficit is not smaller there (irreversibility); every part must hold
    (intersection-union), and one part below the margin makes the claim not hold. Only (c)
    reads a larger-budget arm; the other claims read the protocol's own budget.
(d) magnitude pruning hurts harder levels more than random pruning, at equal damage: the
    difficulty x method interaction (magnitude - random, easier - harder), with both
    methods' curves matched at equal damage to the easier level (its chance-corrected drop).
    Then the easier level's scores are equal by construction and the interaction is
    score_random(harder) - score_magnitude(harder), averaged over the shared damage range.
    Fine-tuned sparse and zero-shot modes. Magnitude - random at equal sparsity is a
    descriptive line.
(e) pruning separates difficulty levels more than quantization at equal damage: the
    harder level's score under quantization minus under pruning, both matched at equal
    damage to the easier level, per quantization arm; where the table has the Gaussian-noise
    control (method ``noise``), the same statistic with noise in place of quantization is a
    second part that must hold too (low-bit RTN zeroes the smallest weights: it is partly
    magnitude pruning, so noise is the control that favours no weights).

A curve repeated under a second setting label (the across-task copy of the 100% data
fraction) counts once in (a) and (d); seeds are counted as distinct seeds, not rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from statistics import NormalDist
from typing import Any

import numpy as np

from pipeline.analysis.curves import CURVE
from pipeline.analysis.decide import (
    FAILS,
    HOLDS,
    INCONCLUSIVE,
    UNDEFINED,
    Estimate,
    decide,
    estimate,
    estimate_t,
    holm,
    shared_variance,
)
from pipeline.analysis.options import Analysis
from pipeline.analysis.points import Points
from pipeline.analysis.resample import NORMALIZATIONS
from pipeline.paths import BASE_BUDGET

COMPRESSED_MODES = ("sparse", "zero_shot")  # modes in which a pruned model stays pruned
NAMES = {"ratio": "ratio", "chance": "chance-corrected"}
PRIMARY = "chance"
DAMAGE_GRID = 10  # points of the shared damage range the equal-damage statistics average
MIN_DAMAGE = 0.02  # a shared damage range narrower than this is no common range


@dataclass
class Part:
    """One statistic of a claim: per setting a vector over the columns of Points.values;
    pooled as the mean over settings."""

    label: str
    by_setting: dict[str, np.ndarray]

    @property
    def pooled(self) -> np.ndarray:
        return np.mean(list(self.by_setting.values()), axis=0)


@dataclass
class Evidence:
    """A claim's statistics under one normalization: ``parts`` must all hold (the first is
    the headline); ``details`` are descriptive per-group statistics; ``frame``: the points
    used."""

    parts: list[Part] = field(default_factory=list)
    frame: Any = None
    details: list[tuple[dict[str, Any], np.ndarray, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    no_data: str = ""
    # Secondary statistics: estimated and printed beside the claim, never decided.
    secondary: list[tuple[dict[str, Any], np.ndarray, Any]] = field(default_factory=list)


@dataclass
class Judgement:
    estimate: Estimate
    verdict: str
    reason: str
    margin: float = np.nan
    p_holm: float = np.nan
    fine_tuned_seeds: int | None = None  # fewest seeds of a fine-tuned point used
    parts: list[dict[str, Any]] = field(default_factory=list)
    settings: list[dict[str, Any]] = field(default_factory=list)
    heterogeneity: dict[str, Any] = field(default_factory=dict)
    details: list[dict[str, Any]] = field(default_factory=list)
    secondary: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.estimate.as_dict(),
            "verdict": self.verdict,
            "reason": self.reason,
            "margin": float(self.margin) if np.isfinite(self.margin) else None,
            "p_holm": float(self.p_holm) if np.isfinite(self.p_holm) else None,
            "parts": self.parts,
            "settings": self.settings,
            "heterogeneity": self.heterogeneity,
            "details": self.details,
            "secondary": self.secondary,
        }


@dataclass
class Claim:
    key: str
    statement: str
    effect: str
    verdict: str
    reason: str
    by_normalization: dict[str, Judgement]

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "statement": self.statement,
            "effect": self.effect,
            "verdict": self.verdict,
            "reason": self.reason,
            "primary": PRIMARY,
            **{n: j.as_dict() for n, j in self.by_normalization.items()},
        }


# --- helpers on the points frame ------------------------------------------------------------


def seeds_of(frame: Any) -> int:
    """Distinct seeds among the points (a seed counts once however many modes or levels
    it ran: the replicate is the seed)."""
    return len(set().union(*frame["seeds"])) if len(frame) else 0


def with_order_group(frame: Any) -> Any:
    """Add ``order_group``: the levels whose difficulty is compared -- the levels of one
    task (within-task settings) or, where each task has one level, a setting's tasks."""
    frame = frame.copy()
    if frame.empty:
        return frame.assign(order_group=[])
    per_task = frame.groupby(["setting", "model", "task"])["difficulty"].nunique()
    across = per_task.groupby(level=["setting", "model"]).max() == 1
    frame["order_group"] = [
        f"{s}/{m}" if across[(s, m)] else f"{s}/{m}/{t}"
        for s, m, t in zip(frame["setting"], frame["model"], frame["task"], strict=True)
    ]
    return frame


def deduplicated(points: Points) -> Points:
    """Drop curves that repeat another curve's runs under a second setting label (the
    across-task level of a task is its data-fraction 100% level): they count once."""
    frame = points.frame
    ratio = points.values["ratio"][:, 0]
    keep = np.ones(len(frame), dtype=bool)
    seen: set = set()
    for _, group in frame.groupby(CURVE, sort=False):
        first = group.iloc[0]
        print_ = (
            first["model"],
            first["task"],
            first["method"],
            first["structure"],
            first["mode"],
            tuple(
                (x, s, round(float(r), 9))
                for x, s, r in zip(
                    group["x"], group["seeds"], ratio[group.index.to_numpy()], strict=True
                )
            ),
        )
        if print_ in seen:
            keep[group.index.to_numpy()] = False
        seen.add(print_)
    return points.subset(keep)


def _claimed(frame: Any, methods: Any, analysis: Analysis | None) -> np.ndarray:
    """Rows of a method the claims read: ``methods``, or in a setting that names its own
    (``analysis.setting_methods``, from its ``claims_methods``) those."""
    own = analysis.setting_methods if analysis is not None else {}
    mask = frame["method"].isin(methods).to_numpy() & ~frame["setting"].isin(own).to_numpy()
    for setting, chosen in own.items():
        mask |= ((frame["setting"] == setting) & frame["method"].isin(chosen)).to_numpy()
    return mask


def _select(
    points: Points,
    kind: str,
    methods: Any = None,
    modes: Any = None,
    analysis: Analysis | None = None,
) -> Points:
    frame = points.frame
    mask = (frame["kind"] == kind).to_numpy(copy=True) if len(frame) else np.zeros(0, bool)
    if methods is not None:
        mask &= _claimed(frame, methods, analysis)
    if modes is not None:
        mask &= frame["mode"].isin(modes).to_numpy()
    return points.subset(mask)


def _rows_frame(frame: Any, rows: Any) -> Any:
    return frame.loc[np.unique(np.concatenate([np.asarray(r, dtype=int) for r in rows]))]


def _measured(points: Points, row: int) -> np.ndarray:
    """Measured hardness of a point's level on every column (NaN without it)."""
    width = next(iter(points.values.values())).shape[1]
    if points.measured is None:
        return np.full(width, np.nan)
    return points.measured[row]


@dataclass
class Level:
    """One difficulty level of an order group: its name, registry hardness, measured
    hardness (a vector over the columns) and its rows."""

    task: str
    difficulty: str
    hardness: float
    measured: np.ndarray
    rows: np.ndarray
    across: bool

    def named(self, name: str) -> bool:
        return name in (self.task, self.difficulty)


@dataclass
class Order:
    """An ordered pair: ``easy`` is designated (or measured) easier. ``flip`` (a boolean
    vector over the columns, or None when the order is fixed) marks the replicates whose own
    measured hardness orders the pair the other way; ``how`` says where the order comes
    from; ``disagrees``: the measured hardness on the data orders it the other way."""

    easy: Level
    hard: Level
    how: str
    flip: np.ndarray | None
    disagrees: bool


def _levels(points: Points, rows: Any) -> list[Level]:
    frame = points.frame.loc[rows]
    out = []
    for (task, difficulty), g in frame.groupby(["task", "difficulty"], sort=True):
        first = g.index[0]
        out.append(
            Level(
                task,
                difficulty,
                float(g["hardness"].iloc[0]),
                _measured(points, first),
                g.index.to_numpy(),
                bool("across" in g.columns and g["across"].iloc[0]),
            )
        )
    return out


def ordered_pairs(levels: list[Level], setting: str, analysis: Analysis) -> list[Order]:
    """The pairs a difficulty claim compares, each ordered easier -> harder: the setting's
    designated ``pairs`` when it names them (only those), else every pair of levels ordered
    by their names' registry hardness, else by measured hardness (resampled)."""
    designated = analysis.pairs.get(setting)
    out = []
    if designated:
        for easy_name, hard_name in designated:
            easy = [lv for lv in levels if lv.named(easy_name)]
            hard = [lv for lv in levels if lv.named(hard_name)]
            if len(easy) == 1 and len(hard) == 1:
                e, h = easy[0], hard[0]
                out.append(Order(e, h, "designated", None, bool(e.measured[0] > h.measured[0])))
        return out
    for a, b in combinations(levels, 2):
        named = np.isfinite(a.hardness) and np.isfinite(b.hardness) and a.hardness != b.hardness
        if named and not (a.across or b.across):
            e, h = (a, b) if a.hardness < b.hardness else (b, a)
            out.append(Order(e, h, "named", None, bool(e.measured[0] > h.measured[0])))
            continue
        if not (np.isfinite(a.measured[0]) and np.isfinite(b.measured[0])):
            continue
        if a.measured[0] == b.measured[0]:
            continue
        e, h = (a, b) if a.measured[0] < b.measured[0] else (b, a)
        out.append(Order(e, h, "measured", e.measured > h.measured, False))
    return out


def _oriented(order: Order, forward: np.ndarray, backward: np.ndarray) -> np.ndarray:
    """The statistic with each replicate's own order: ``backward`` where it flips."""
    return forward if order.flip is None else np.where(order.flip, backward, forward)


def _pair_record(order: Order) -> dict[str, Any]:
    return {
        "easier": order.easy.difficulty if order.easy.task == order.hard.task else order.easy.task,
        "harder": order.hard.difficulty if order.easy.task == order.hard.task else order.hard.task,
        "order": order.how,
        "measured_easier": float(order.easy.measured[0]),
        "measured_harder": float(order.hard.measured[0]),
        "disagrees": order.disagrees,
    }


def _by_setting(groups: list[tuple[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Mean per setting of the groups' vectors."""
    out: dict[str, list] = {}
    for setting, vector in groups:
        out.setdefault(setting, []).append(vector)
    return {s: np.mean(v, axis=0) for s, v in sorted(out.items())}


def _order_groups(frame: Any, keys: tuple[str, ...]) -> Any:
    """Compressed points with known levels, grouped by order group and ``keys``."""
    compressed = with_order_group(frame[~frame["is_dense"].astype(bool)])
    return compressed.groupby(["setting", "order_group", *keys], sort=True)


def _area_gaps(points: Points, name: str, analysis: Analysis, label: str) -> tuple:
    """(per-setting gaps, details, rows used) of (b)'s statistic on ``points``."""
    values, groups, details, used = points.values[name], [], [], []
    keys = ("method", "structure", "mode")
    for key, group in _order_groups(points.frame, keys):
        setting = key[0]
        levels = _levels(points, group.index)
        gaps = []
        for order in ordered_pairs(levels, setting, analysis):
            common = sorted(
                set(points.frame.loc[order.easy.rows, "x"])
                & set(points.frame.loc[order.hard.rows, "x"])
            )
            if not common:
                continue
            area = {}
            for lv in (order.easy, order.hard):
                rows = lv.rows[points.frame.loc[lv.rows, "x"].isin(common).to_numpy()]
                area[lv.difficulty + lv.task] = values[rows].mean(axis=0)
                used.append(rows)
            forward = (
                area[order.easy.difficulty + order.easy.task]
                - area[order.hard.difficulty + order.hard.task]
            )
            gap = _oriented(order, forward, -forward)
            gaps.append(gap)
            frame = _rows_frame(points.frame, [order.easy.rows, order.hard.rows])
            details.append(
                (
                    {
                        "setting": setting,
                        "group": key[1],
                        **dict(zip(keys, key[2:], strict=True)),
                        "statistic": label,
                        **_pair_record(order),
                    },
                    gap,
                    frame,
                )
            )
        if gaps:
            groups.append((setting, np.mean(gaps, axis=0)))
    return _by_setting(groups), details, used


# --- equal damage ---------------------------------------------------------------------------


def _interp_columns(query: np.ndarray, xp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    """Piecewise-linear interpolation column by column (np.interp for many columns at once;
    ``xp`` non-decreasing down each column, held flat outside its range)."""
    out = np.broadcast_to(fp[0], query.shape).copy()
    for k in range(len(xp) - 1):
        lo, hi = xp[k], xp[k + 1]
        span = hi - lo
        t = np.clip((query - lo) / np.where(span > 0, span, 1.0), 0.0, 1.0)
        t = np.where(span > 0, t, 1.0)
        out = np.where(query > lo, fp[k] + t * (fp[k + 1] - fp[k]), out)
    return out


def equal_damage(
    easy_a: np.ndarray, hard_a: np.ndarray, easy_b: np.ndarray, hard_b: np.ndarray
) -> tuple[np.ndarray, float]:
    """(mean over the shared damage range of score_b(harder) - score_a(harder) at equal
    damage to the easier level, per column; the shared range on the data).

    Each argument is levels x columns, levels along the curve from dense (damage 0). The
    damage of a compression level is the easier level's drop 1 - score, made
    non-decreasing along the curve (running maximum) so that it can parameterize it; each
    method's harder-level score is interpolated at DAMAGE_GRID points of the range both
    methods reach (its top: the smaller of their largest damages, per column)."""
    damage_a = np.maximum.accumulate(1 - easy_a, axis=0)
    damage_b = np.maximum.accumulate(1 - easy_b, axis=0)
    top = np.minimum(damage_a[-1], damage_b[-1])
    grid = np.linspace(1 / DAMAGE_GRID, 1, DAMAGE_GRID)[:, None] * top[None, :]
    diff = _interp_columns(grid, damage_b, hard_b) - _interp_columns(grid, damage_a, hard_a)
    return diff.mean(axis=0), float(top[0])


def _curve(points: Points, name: str, frame: Any, level: Level, xs: list) -> np.ndarray:
    """A level's values at the strengths ``xs`` (dense first), levels x columns."""
    sub = frame[frame["task"].eq(level.task) & frame["difficulty"].eq(level.difficulty)]
    by_x = dict(zip(sub["x"], sub.index, strict=True))
    return points.values[name][[by_x[x] for x in xs]]


def _equal_damage_claim(
    points: Points,
    name: str,
    analysis: Analysis,
    arms: list[tuple[str, Any, Any]],
    label: str,
) -> Evidence:
    """The equal-damage statistic of (d) and (e): for each (order group, regime) with an
    ordered pair of levels and each arm (description, frame of curve a, frame of curve b),
    score_b(harder) - score_a(harder) at equal damage to the easier level."""
    evidence, groups, used, no_range = Evidence(), [], [], []
    for arm, frame_a, frame_b in arms:
        for key, group in with_order_group(frame_a).groupby(["setting", "order_group"]):
            setting = key[0]
            levels = _levels(points, group.index)
            fa, fb = (f[f["setting"].eq(setting)] for f in (frame_a, frame_b))
            for order in ordered_pairs(levels, setting, analysis):
                both = []
                for easy, hard in ((order.easy, order.hard), (order.hard, order.easy)):
                    curves = []
                    for frame in (fa, fb):
                        xs = _shared_x(frame, easy, hard)
                        if len(xs) < 2:
                            break
                        curves += [
                            _curve(points, name, frame, easy, xs),
                            _curve(points, name, frame, hard, xs),
                        ]
                    if len(curves) < 4:
                        break
                    both.append(equal_damage(*curves))
                if len(both) < 2:
                    continue
                (forward, top), (backward, _) = both
                where = f"{key[1]} {order.easy.difficulty}/{order.hard.difficulty} ({arm})"
                if top < MIN_DAMAGE:
                    no_range.append(where)
                    continue
                stat = _oriented(order, forward, backward)
                groups.append((setting, stat))
                rows = [
                    f[f["task"].isin([order.easy.task, order.hard.task])].index.to_numpy()
                    for f in (fa, fb)
                ]
                used += rows
                evidence.details.append(
                    (
                        {
                            "setting": setting,
                            "group": key[1],
                            "arm": arm,
                            "shared_damage": round(top, 3),
                            **_pair_record(order),
                        },
                        stat,
                        _rows_frame(points.frame, rows),
                    )
                )
    if not groups:
        reason = (
            f"inconclusive: no common range of damage ({'; '.join(no_range)})"
            if no_range
            else "no ordered pair of levels with both curves"
        )
        return Evidence(no_data=reason)
    if no_range:
        evidence.notes.append(f"no common range of damage: {'; '.join(no_range)}")
    evidence.parts = [Part(label, _by_setting(groups))]
    evidence.frame = _rows_frame(points.frame, used)
    return evidence


def _shared_x(frame: Any, easy: Level, hard: Level) -> list:
    """Strengths (dense included) both levels have on one curve, along the curve."""
    per = [
        frame[frame["task"].eq(lv.task) & frame["difficulty"].eq(lv.difficulty)]
        for lv in (easy, hard)
    ]
    common = set(per[0]["x"]) & set(per[1]["x"])
    ordered = per[0][per[0]["x"].isin(common)].sort_values("strength")
    return list(ordered["x"])


def falls_with_sparsity(points: Points, analysis: Analysis, name: str) -> Evidence:
    pts = deduplicated(_select(points, "pruning", analysis.methods, COMPRESSED_MODES, analysis))
    frame, values = pts.frame, pts.values[name]
    evidence, groups, used = Evidence(), [], []
    for key, group in frame.groupby(CURVE, sort=True) if len(frame) else []:
        ordered = group.sort_values("strength")
        if len(ordered) < analysis.trend_min_levels or not ordered["is_dense"].iloc[0]:
            continue
        rows = ordered.index.to_numpy()
        v = values[rows]
        i, j = np.triu_indices(len(rows), k=1)
        trend = (v[i] - v[j]).mean(axis=0)  # pairwise: lower sparsity minus higher
        groups.append((key[0], trend))
        used.append(rows)
        evidence.details.append(
            ({**dict(zip(CURVE, key, strict=True)), "n_levels": len(rows)}, trend, ordered)
        )
    if not groups:
        return Evidence(
            no_data=f"no {'/'.join(COMPRESSED_MODES)} curve of {list(analysis.methods)} with "
            f"at least {analysis.trend_min_levels} levels (dense included)"
        )
    label = "pairwise trend: score at lower minus higher sparsity"
    evidence.parts = [Part(label, _by_setting(groups))]
    evidence.frame = _rows_frame(frame, used)
    return evidence


def harder_loses_more(points: Points, analysis: Analysis, name: str) -> Evidence:
    pts = _select(points, "pruning", analysis.methods, COMPRESSED_MODES, analysis)
    label = "area gap, easier - harder"
    by_setting, details, used = _area_gaps(pts, name, analysis, label)
    if not by_setting:
        return Evidence(no_data="no order group with two or more difficulty levels of known order")
    evidence = Evidence([Part(label, by_setting)], _rows_frame(pts.frame, used), details)
    evidence.secondary = _safe_sparsity_gaps(pts, name, analysis)
    return evidence


SAFE_GAP = "safe sparsity, easier - harder (the paper's measure)"


def safe_levels(xs: np.ndarray, values: np.ndarray, tolerance: float) -> np.ndarray:
    """Per column of ``values`` (levels x columns, compressed levels at strengths ``xs``,
    ascending): the highest strength up to which every level keeps at least ``tolerance``
    of dense (0 when the first does not), as pipeline.analysis.safe_sparsity.safe_level
    reads one curve -- here on every bootstrap replicate at once."""
    held = np.logical_and.accumulate(values >= tolerance - 1e-9, axis=0)
    count = held.sum(axis=0)
    return np.where(count > 0, np.asarray(xs, dtype=float)[np.maximum(count - 1, 0)], 0.0)


def _safe_sparsity_gaps(points: Points, name: str, analysis: Analysis) -> list:
    """(b)'s secondary statistic: per ordered pair, the safe sparsity of the easier level
    minus the harder's on the strengths both reach (tolerance ``analysis.tolerance`` of
    dense on this scale), mean per group and setting, and pooled over settings."""
    values, frame, groups, rows_used = points.values[name], points.frame, [], []
    for key, group in _order_groups(frame, ("method", "structure", "mode")):
        gaps = []
        for order in ordered_pairs(_levels(points, group.index), key[0], analysis):
            xs = sorted(set(frame.loc[order.easy.rows, "x"]) & set(frame.loc[order.hard.rows, "x"]))
            if not xs:
                continue
            safe = []
            for lv in (order.easy, order.hard):
                by_x = dict(zip(frame.loc[lv.rows, "x"], lv.rows, strict=True))
                rows = np.array([by_x[x] for x in xs])
                safe.append(safe_levels(np.array(xs), values[rows], analysis.tolerance))
                rows_used.append(rows)
            gaps.append(_oriented(order, safe[0] - safe[1], safe[1] - safe[0]))
        if gaps:
            groups.append((key[0], np.mean(gaps, axis=0)))
    if not groups:
        return []
    by_setting = _by_setting(groups)
    used = _rows_frame(frame, rows_used)
    label = {"statistic": SAFE_GAP, "tolerance": analysis.tolerance}
    return [({"setting": "pooled", **label}, np.mean(list(by_setting.values()), axis=0), used)] + [
        ({"setting": setting, **label}, vector, used) for setting, vector in by_setting.items()
    ]


def deficit_on_harder(points: Points, analysis: Analysis, name: str) -> Evidence:
    """(c) on the protocol's own budget (the deficit gap and the dense_freeze contrast),
    and, where the table has a larger-budget arm, its irreversibility
    (:func:`_irreversibility`)."""
    base = at_budget(points, BASE_BUDGET)
    s2d = _select(base, "pruning", analysis.methods, ("sparse_to_dense",), analysis)
    label = "deficit gap, harder - easier (sparse-to-dense)"
    by_setting, details, used = _area_gaps(s2d, name, analysis, label)
    if not by_setting:
        return Evidence(
            no_data="no sparse_to_dense curve with two or more difficulty levels of known order"
        )
    evidence = Evidence([Part(label, by_setting)], None, details)
    frozen = _select(base, "pruning", analysis.methods, ("dense_freeze",), analysis)
    ff, fv, sv = frozen.frame, frozen.values[name], s2d.values[name]
    contrasts, frozen_rows = [], []
    for keys, _, used_frame in list(details):
        hard = _harder_rows(keys, used_frame)
        match = _same_curve(ff, keys, hard)
        match = match[match["x"].isin(hard["x"])]
        if len(match) != len(hard) or match.empty:
            continue
        contrast = fv[match.index.to_numpy()].mean(axis=0) - sv[hard.index.to_numpy()].mean(axis=0)
        contrasts.append((keys["setting"], contrast))
        frozen_rows.append(match.index.to_numpy())
        evidence.details.append(
            (
                {**keys, "statistic": "dense_freeze - sparse_to_dense, harder level"},
                contrast,
                match,
            )
        )
    import pandas as pd

    frames = [_rows_frame(s2d.frame, used)]
    if contrasts:
        evidence.parts.append(
            Part("dense_freeze - sparse_to_dense, harder level", _by_setting(contrasts))
        )
        frames.append(_rows_frame(ff, frozen_rows))
    else:
        evidence.notes.append("no dense_freeze control on the harder levels: not tested")
    frames += _irreversibility(evidence, points, s2d, analysis, name)
    evidence.frame = pd.concat(frames)
    return evidence


# The claims that read a larger-budget arm; every other claim reads the protocol's own.
READS_BUDGETS = ("c",)


def at_budget(points: Points, budget: float) -> Points:
    """The points of one training budget (every point of a table without budgets)."""
    if "budget" not in points.frame.columns:
        return points
    return points.subset(points.frame["budget"].to_numpy(dtype=float) == budget)


def claim_points(points: Points, key: str) -> Points:
    """The points claim ``key`` reads: every budget for (c), the protocol's own for the rest
    (a larger-budget arm is a second protocol, not more of the first)."""
    return points if key in READS_BUDGETS else at_budget(points, BASE_BUDGET)


def _same_curve(frame: Any, keys: dict[str, Any], hard: Any) -> Any:
    """The compressed points of ``frame`` on the harder level's curve (``hard``: its rows in
    another mode or budget): same setting, level, method and structure."""
    return frame[
        frame["setting"].eq(keys["setting"])
        & frame["task"].isin(hard["task"])
        & frame["difficulty"].isin(hard["difficulty"])
        & frame["method"].eq(keys["method"])
        & frame["structure"].eq(keys["structure"])
        & ~frame["is_dense"].astype(bool)
    ]


def _harder_rows(keys: dict[str, Any], used_frame: Any) -> Any:
    """The compressed points of a pair's harder level among the points it used."""
    hard = used_frame[used_frame["difficulty"].eq(keys["harder"])]
    if hard.empty:
        hard = used_frame[used_frame["task"].eq(keys["harder"])]
    return hard[~hard["is_dense"].astype(bool)]


def _irreversibility(
    evidence: Evidence, points: Points, s2d: Points, analysis: Analysis, name: str
) -> list:
    """(c)'s irreversibility: per larger budget B of the table and per ordered pair of the
    1x sparse-to-dense curves, the harder level's deficit (1 - mean score over the
    sparsities both budgets ran, each budget normalized by its own dense run) at B minus
    at 1x, plus the margin: "irreversible" (the deficit is not smaller at B) holds when the
    one-sided lower bound of the change is above -margin, and does not hold when its upper
    bound is below 0 (the deficit shrank). Appends one part per budget; returns the frames
    of the points used."""
    if "budget" not in points.frame.columns:
        budgets = []
    else:
        budgets = sorted(set(points.frame["budget"].astype(float)) - {BASE_BUDGET})
    if not budgets:
        evidence.notes.append(
            "no larger training budget (a setting's budgets) in this table: irreversibility "
            "is not tested"
        )
        return []
    margin = analysis.margin[name]
    frames, base_values = [], s2d.values[name]
    for budget in budgets:
        arm = _select(
            at_budget(points, budget), "pruning", analysis.methods, ("sparse_to_dense",), analysis
        )
        af, av = arm.frame, arm.values[name]
        changes = []
        for keys, _, used_frame in [d for d in evidence.details if "easier" in d[0]]:
            if keys["statistic"] != evidence.parts[0].label:
                continue
            hard = _harder_rows(keys, used_frame)
            match = _same_curve(af, keys, hard)
            common = sorted(set(match["x"]) & set(hard["x"]))
            if not common:
                continue
            at_b = match[match["x"].isin(common)].index.to_numpy()
            at_1 = hard[hard["x"].isin(common)].index.to_numpy()
            # deficit(B) - deficit(1x) = mean score at 1x - mean score at B
            change = base_values[at_1].mean(axis=0) - av[at_b].mean(axis=0)
            changes.append((keys["setting"], change + margin))
            frames.append(af.loc[at_b])
            evidence.details.append(
                (
                    {
                        **keys,
                        "statistic": f"harder level's deficit, {budget:g}x - 1x "
                        "(sparse-to-dense; descriptive)",
                        "sparsities": ", ".join(f"{x:g}" for x in common),
                    },
                    change,
                    af.loc[at_b],
                )
            )
        if changes:
            evidence.parts.append(
                Part(
                    f"irreversibility: harder level's deficit at {budget:g}x - at 1x, "
                    f"+ margin {margin:g} (sparse-to-dense)",
                    _by_setting(changes),
                )
            )
        else:
            evidence.notes.append(
                f"no sparse_to_dense curve at {budget:g}x matching a 1x pair's harder level: "
                "irreversibility is not tested"
            )
    return frames


def magnitude_hurts_harder_more(points: Points, analysis: Analysis, name: str) -> Evidence:
    pts = deduplicated(_select(points, "pruning", None, COMPRESSED_MODES))
    frame = pts.frame
    arms = []
    for (structure, mode), _ in frame.groupby(["structure", "mode"], sort=True):
        same = frame[frame["structure"].eq(structure) & frame["mode"].eq(mode)]
        ours = same[same["method"].eq(analysis.matched_to)]
        control = same[same["method"].eq(analysis.random_control)]
        if len(ours) and len(control):
            arm = f"{analysis.matched_to} vs {analysis.random_control}, {mode}"
            arms.append((arm, ours, control))
    if not arms:
        return Evidence(
            no_data=f"no rows of {analysis.random_control!r} matched to {analysis.matched_to!r}"
        )
    evidence = _equal_damage_claim(
        pts, name, analysis, arms, "interaction at equal damage: random - magnitude, harder level"
    )
    _descriptive_advantage(evidence, pts, name, analysis)
    return evidence


def _descriptive_advantage(evidence: Evidence, pts: Points, name: str, analysis: Analysis) -> None:
    """Magnitude - random at equal sparsity, every level (a long-known result: descriptive)."""
    frame, values = pts.frame, pts.values[name]
    frame = frame[~frame["is_dense"].astype(bool)]
    match = ["setting", "model", "task", "difficulty", "structure", "mode", "x"]
    ours = frame[frame["method"] == analysis.matched_to].reset_index()
    control = frame[frame["method"] == analysis.random_control].reset_index()
    pairs = ours.merge(control, on=match, suffixes=("", "_control"))
    if pairs.empty:
        return
    diff = values[pairs["index"].to_numpy()] - values[pairs["index_control"].to_numpy()]
    used = frame.loc[np.concatenate([pairs["index"], pairs["index_control"]])]
    keys = {"setting": "all", "statistic": "magnitude - random at equal sparsity (descriptive)"}
    evidence.details.append((keys, diff.mean(axis=0), used))


QUANT_LABEL = "harder level at equal damage: quantization - pruning"
NOISE_LABEL = "harder level at equal damage: Gaussian noise - pruning"


def _control_arms(prune: Any, control: Any) -> list[tuple[str, Any, Any]]:
    """(arm, pruning curves, control curves) for each control (method, mode) against each
    unstructured pruning method of the same regime (zero-shot with zero-shot, fine-tuned
    with fine-tuned: ptq and ptn start from the dense fine-tuned model)."""
    arms = []
    zero = prune["mode"].eq("zero_shot")
    for (method, mode), c in control.groupby(["method", "mode"], sort=True):
        regime = prune[zero] if mode == "zero_shot" else prune[~zero]
        for structure, p in regime[regime["structure"].eq("unstructured")].groupby("method"):
            arms.append((f"{method}/{mode} vs {structure}", p, c))
    return arms


def _zeroed_note(quant: Any) -> str:
    """What fraction of the weights RTN set to zero, per bit width (the table's
    ``zeroed_fraction``): low-bit RTN is partly magnitude pruning."""
    quantized = quant[~quant["is_dense"].astype(bool)]
    if "zeroed_fraction" not in quantized.columns or quantized["zeroed_fraction"].isna().all():
        return (
            "the table does not record the fraction of weights RTN sets to zero (a per-row "
            "3-bit quantizer zeroes about 40% of Gaussian weights, 4-bit about 20%: partly "
            "magnitude pruning)"
        )
    zeroed = quantized.groupby("x")["zeroed_fraction"].mean().dropna().sort_index()
    shares = ", ".join(f"{v:.0%} at {x:g} bits" for x, v in zeroed.items())
    return (
        f"RTN set to zero {shares} of the prunable weights: low-bit RTN is partly magnitude "
        "pruning (the Gaussian-noise control zeroes none)"
    )


def _which_controls(evidence: Evidence, points: Points, analysis: Analysis, name: str) -> str:
    """Which control pruning orders difficulty more than, part by part (one study only:
    a stack of simulated studies has no single answer to print)."""
    if points.studies != 1:
        return ""
    alpha, margin = 1 - analysis.confidence, analysis.margin[name]
    words = {HOLDS: "yes", FAILS: "no", INCONCLUSIVE: "undecided"}
    said = []
    for part, control in zip(evidence.parts, ("quantization", "Gaussian noise"), strict=False):
        est = _estimate(part.pooled, evidence.frame, analysis, points.study(0), points.group)
        verdict, _ = decide(est, alpha, margin)
        said.append(
            f"more than {control}: {words[verdict]} ({est.value:+.3f} "
            f"[{est.low:+.3f}, {est.high:+.3f}], before Holm)"
        )
    return "pruning orders difficulty " + "; ".join(said)


def pruning_orders_more_than_quantization(
    points: Points, analysis: Analysis, name: str
) -> Evidence:
    """(e) with two controls at equal damage: quantization (the headline part) and, where
    the table has it, Gaussian noise (method ``noise``); every part must hold."""
    frame = points.frame  # selections keep its index: the equal-damage rows point into it
    prune = frame[
        frame["kind"].eq("pruning")
        & _claimed(frame, analysis.methods, analysis)
        & frame["mode"].isin(COMPRESSED_MODES)
    ]
    quant, noise = frame[frame["kind"].eq("quantization")], frame[frame["kind"].eq("noise")]
    if prune.empty or quant.empty:
        return Evidence(no_data="no study with both pruning and quantization curves")
    arms = _control_arms(prune, quant)
    if not arms:
        return Evidence(no_data="no quantization arm in the regime of a pruning curve")
    evidence = _equal_damage_claim(points, name, analysis, arms, QUANT_LABEL)
    if evidence.no_data:
        return evidence
    noise_arms = _control_arms(prune, noise)
    noisy = _equal_damage_claim(points, name, analysis, noise_arms, NOISE_LABEL)
    if noise.empty:
        evidence.notes.append("no Gaussian-noise control in this table (method noise)")
    elif noisy.no_data:
        evidence.notes.append(f"Gaussian-noise control not compared: {noisy.no_data}")
    else:
        evidence.parts += noisy.parts
        evidence.details += noisy.details
        evidence.notes += noisy.notes
        evidence.frame = _rows_frame(frame, [evidence.frame.index, noisy.frame.index])
    if which := _which_controls(evidence, points, analysis, name):
        evidence.notes.insert(0, which)
    evidence.notes.append(_zeroed_note(quant))
    return evidence


CLAIMS = {
    "a": ("Performance falls as sparsity grows", falls_with_sparsity),
    "b": (
        "Harder levels lose more of their performance under magnitude pruning than easier ones",
        harder_loses_more,
    ),
    "c": (
        "After sparse-to-dense fine-tuning, harder levels keep a larger deficit than easier ones",
        deficit_on_harder,
    ),
    "d": (
        "At equal damage to the easier level, magnitude pruning hurts the harder level more "
        "than random pruning does",
        magnitude_hurts_harder_more,
    ),
    "e": (
        "At equal damage to the easier level, pruning hurts the harder level more than "
        "quantization does",
        pruning_orders_more_than_quantization,
    ),
}


# --- judging --------------------------------------------------------------------------------


def _estimate(values: np.ndarray, frame: Any, analysis: Analysis, cols: slice, group: int):
    """The estimate of one study's columns: the bootstrap's, or with several pre-training
    seeds (``group`` blocks, their replicates resampling items only) a t interval over
    their per-seed estimates with the item noise they share from the replicates."""
    values = values[cols]
    if group > 1:
        blocks = values.reshape(group, -1)
        common = shared_variance(blocks[:, 1:])
        return estimate_t(blocks[:, 0], analysis.confidence, seeds_of(frame), common)
    return estimate(values, analysis.confidence, seeds_of(frame), bool(frame["noisy"].any()))


def heterogeneity(estimates: list[Estimate], confidence: float) -> dict[str, Any]:
    """Cochran's Q across the settings' estimates (weights 1 / SE^2, SE from each
    interval's half-width) with its chi-square p and I^2 = max(0, (Q - df) / Q)
    (Higgins & Thompson 2002); empty with fewer than two defined settings."""
    from scipy.special import chdtrc  # chi-square survival function (a fast ufunc)

    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    pts = [
        (e.value, (e.high - e.low) / (2 * z))
        for e in estimates
        if e.defined and e.high > e.low and np.isfinite(e.value)
    ]
    if len(pts) < 2:
        return {}
    theta, se = np.array(pts).T
    w = 1 / se**2
    pooled = float((w * theta).sum() / w.sum())
    q = float((w * (theta - pooled) ** 2).sum())
    df = len(pts) - 1
    return {
        "Q": q,
        "df": df,
        "p": float(chdtrc(df, q)),
        "I2": float(max(0.0, (q - df) / q)) if q > 0 else 0.0,
    }


def _intersection(parts: list[tuple[str, Estimate]], alpha: float, margin: float, p=None):
    """Verdict of a conjunction of parts (intersection-union, Berger 1982): holds when the
    largest p is at most alpha; does not hold when any part is below the margin."""
    binding = max(parts, key=lambda pe: pe[1].p if np.isfinite(pe[1].p) else np.inf)[1]
    verdicts = [decide(e, alpha, margin) for _, e in parts]
    for (label, _), (v, reason) in zip(parts, verdicts, strict=True):
        if v == FAILS and len(parts) > 1:
            return binding, FAILS, f"{label}: {reason}"
    verdict, reason = decide(binding, alpha, margin, p)
    return binding, verdict, reason


def _judge_one(
    ev: Evidence, analysis: Analysis, name: str, cols: slice, group: int, details: bool
) -> Judgement:
    """One normalization, one study: estimates; the verdict comes in _finish."""
    if ev.no_data:
        return Judgement(UNDEFINED, INCONCLUSIVE, f"no data: {ev.no_data}", analysis.margin[name])
    parts = [
        (part.label, _estimate(part.pooled, ev.frame, analysis, cols, group)) for part in ev.parts
    ]
    p = max(e.p for _, e in parts) if all(e.defined for _, e in parts) else np.nan
    binding = max(parts, key=lambda pe: pe[1].p if np.isfinite(pe[1].p) else np.inf)[1]
    head = Estimate(**{**vars(binding), "p": p})
    fine_tuned = ev.frame[~ev.frame["deterministic"].astype(bool)]
    alpha, margin = 1 - analysis.confidence, analysis.margin[name]
    settings = []
    for setting in ev.parts[0].by_setting:
        per = [
            (part.label, _estimate(part.by_setting[setting], ev.frame, analysis, cols, group))
            for part in ev.parts
            if setting in part.by_setting
        ]
        est, verdict, reason = _intersection(per, alpha, margin)
        settings.append({"setting": setting, **est.as_dict(), "verdict": verdict, "reason": reason})
    head_settings = [
        _estimate(v, ev.frame, analysis, cols, group) for v in ev.parts[0].by_setting.values()
    ]
    return Judgement(
        head,
        INCONCLUSIVE,
        "",
        margin,
        fine_tuned_seeds=int(fine_tuned["n_seeds"].min()) if len(fine_tuned) else None,
        parts=[{"statistic": label, **e.as_dict()} for label, e in parts],
        settings=settings,
        heterogeneity=heterogeneity(head_settings, analysis.confidence),
        details=[
            {**keys, **_estimate(v, frame, analysis, cols, group).as_dict()}
            for keys, v, frame in (ev.details if details else [])
        ],
        secondary=[
            {**keys, **_estimate(v, frame, analysis, cols, group).as_dict()}
            for keys, v, frame in (ev.secondary if details else [])
        ],
    )


def _finish(j: Judgement, ev: Evidence, analysis: Analysis, name: str) -> None:
    """The verdict of one normalization, given its Holm-adjusted p."""
    if ev.no_data:
        return
    few = j.fine_tuned_seeds
    if few is not None and few < analysis.min_seeds:
        j.verdict, j.reason = INCONCLUSIVE, f"too few seeds ({few} < {analysis.min_seeds})"
        return
    alpha, margin = 1 - analysis.confidence, analysis.margin[name]
    parts = [(p["statistic"], _from_dict(p)) for p in j.parts]
    _, j.verdict, j.reason = _intersection(parts, alpha, margin, j.p_holm)
    if len(j.parts) > 1:
        j.reason += " (every part must hold: " + "; ".join(p["statistic"] for p in j.parts) + ")"
    if ev.notes:
        j.reason += "; " + "; ".join(ev.notes)


def _from_dict(d: dict[str, Any]) -> Estimate:
    get = [d[k] if d[k] is not None else np.nan for k in (
        "mean", "ci_low", "ci_high", "lower_bound", "upper_bound", "p", "detectable_effect"
    )]  # fmt: skip
    return Estimate(*get, d["n_seeds"])


def combine(by_norm: dict[str, Judgement]) -> tuple[str, str]:
    """The claim's verdict is the chance-corrected scale's (primary: the ratio's floor at
    chance / dense differs between tasks); the ratio's is said beside it when it differs.
    Without a chance level (no chance-corrected estimate) the ratio decides, said so."""
    primary = by_norm.get(PRIMARY)
    other = {n: j for n, j in by_norm.items() if n != PRIMARY}
    ratio = next(iter(other.values()), None)
    no_chance = primary is None or not np.isfinite(primary.estimate.value)
    if no_chance and ratio is not None and np.isfinite(ratio.estimate.value):
        return ratio.verdict, f"ratio scale (no chance level): {ratio.reason}"
    reason = primary.reason
    for n, j in other.items():
        if j.verdict != primary.verdict:
            reason += f"; on the {NAMES[n]} scale: {j.verdict}"
    return primary.verdict, reason


def judge_blocks(points: Points, analysis: Analysis, details: bool = True) -> list[list[Claim]]:
    """Every claim (a)-(e) of every stacked study, both normalizations, Holm across the
    five claims of each study and normalization (``details``: the per-group estimates)."""
    evidence = {
        name: {
            key: fn(claim_points(points, key), analysis, name) for key, (_, fn) in CLAIMS.items()
        }
        for name in NORMALIZATIONS
    }
    studies = []
    for study in range(points.studies):
        cols = points.study(study)
        judged: dict[str, dict[str, Judgement]] = {}
        for name in NORMALIZATIONS:
            judged[name] = {
                k: _judge_one(ev, analysis, name, cols, points.group, details)
                for k, ev in evidence[name].items()
            }
            adjusted = holm({k: j.estimate.p for k, j in judged[name].items()})
            for key, j in judged[name].items():
                j.p_holm = adjusted[key]
                _finish(j, evidence[name][key], analysis, name)
        claims = []
        for key, (statement, _) in CLAIMS.items():
            by_norm = {name: judged[name][key] for name in NORMALIZATIONS}
            verdict, reason = combine(by_norm)
            parts = evidence[PRIMARY][key].parts or evidence["ratio"][key].parts
            claims.append(
                Claim(key, statement, parts[0].label if parts else "", verdict, reason, by_norm)
            )
        studies.append(claims)
    return studies


def judge(points: Points, analysis: Analysis) -> list[Claim]:
    """Every claim, in order (a)-(e), of a single study."""
    return judge_blocks(points, analysis)[0]


__all__ = ["CLAIMS", "HOLDS", "FAILS", "INCONCLUSIVE", "Claim", "Judgement", "judge"]
