"""The five claims of the Junk DNA hypothesis as statistics of the curve points.

Each claim is a statistic oriented so that the hypothesis says "effect > 0", computed on
the data and on every hierarchical bootstrap replicate at once (rows of
``Points.values``), under each normalization (ratio, chance-corrected). ``judge`` turns
them into verdicts (:mod:`pipeline.analysis.decide`): Holm across the five claims, and a
claim holds only if it holds under both normalizations.

(a) monotone drop: over curves with at least ``analysis.trend_min_levels`` levels (dense
    included), the mean drop dense - highest level; it fails on any significant rise
    between adjacent levels (one-sided, Holm across the steps).
(b) steeper when harder: per order group, the paired difference of the area under the
    normalized curve (mean over the common compressed levels), easier minus harder level,
    over all pairs of levels of different hardness; pooled as the mean over groups.
(c) not recovered: for sparse-to-dense curves, (b)'s gap (= deficit on the harder level
    minus deficit on the easier one), and, where the dense-with-freezing control ran, its
    area minus sparse-to-dense's on the hardest level; both must hold (intersection-union).
(d) magnitude keeps more than its matched random control: mean paired difference at equal
    sparsity, reported per sparsity and per difficulty, with the difficulty interaction.
(e) quantization does not order by difficulty like pruning: (b)'s pruning gap minus the
    same gap under each quantization arm (every quantization curve: ptq, qat, ...), on the
    same order groups.

A curve repeated under a second setting label (the across-task copy of the 100% data
fraction) counts once in (a) and (d); seeds are counted as distinct seeds, not rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np

from pipeline.analysis.curves import CURVE
from pipeline.analysis.decide import (
    FAILS,
    UNDECIDED,
    UNDEFINED,
    Estimate,
    decide,
    estimate,
    holm,
    margin,
)
from pipeline.analysis.options import Analysis
from pipeline.analysis.points import Points
from pipeline.analysis.resample import NORMALIZATIONS

COMPRESSED_MODES = ("sparse", "zero_shot")  # modes in which a pruned model stays pruned
NAMES = {"ratio": "ratio", "chance": "chance-corrected"}


@dataclass
class Evidence:
    """A claim's statistics under one normalization, as vectors over the columns of
    ``Points.values`` (data and replicates): ``tests`` must all hold (the first is the
    headline effect); a significant one of ``rises`` (Holm across them) means it does not
    hold; ``details`` are the per-group statistics (descriptive, not adjusted). ``frame``:
    the points used."""

    tests: list[tuple[str, np.ndarray]] = field(default_factory=list)
    frame: Any = None
    rises: list[tuple[str, np.ndarray]] = field(default_factory=list)
    details: list[tuple[dict[str, Any], np.ndarray, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    no_data: str = ""


@dataclass
class Judgement:
    estimate: Estimate
    verdict: str
    reason: str
    margin: float = np.nan
    p_holm: float = np.nan
    fine_tuned_seeds: int | None = None  # fewest seeds of a fine-tuned point used
    parts: list[dict[str, Any]] = field(default_factory=list)
    details: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.estimate.as_dict(),
            "verdict": self.verdict,
            "reason": self.reason,
            "margin": float(self.margin) if np.isfinite(self.margin) else None,
            "p_holm": float(self.p_holm) if np.isfinite(self.p_holm) else None,
            "parts": self.parts,
            "details": self.details,
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


def _level_areas(frame: Any, values: np.ndarray) -> list[dict[str, Any]]:
    """Per ordering group (order group x method x structure x mode) with two or more levels
    of known, different hardness: the levels' areas over their common compressed levels."""
    out = []
    compressed = with_order_group(frame[~frame["is_dense"].astype(bool)])
    compressed = compressed[np.isfinite(compressed["hardness"].astype(float))]
    keys = ["order_group", "method", "structure", "mode"]
    for key, group in compressed.groupby(keys, sort=True):
        levels = group.groupby(["task", "difficulty"])
        if group["hardness"].nunique() < 2:
            continue
        common = set.intersection(*(set(g["x"]) for _, g in levels))
        if not common:
            continue
        areas = []
        for (task, difficulty), g in levels:
            rows = g[g["x"].isin(common)].index.to_numpy()
            areas.append(
                {
                    "task": task,
                    "difficulty": difficulty,
                    "hardness": float(g["hardness"].iloc[0]),
                    "area": values[rows].mean(axis=0),
                    "rows": rows,
                }
            )
        out.append({**dict(zip(keys, key, strict=True)), "levels": areas, "x": sorted(common)})
    return out


def _pair_gap(levels: list[dict[str, Any]]) -> np.ndarray:
    """Mean over pairs of levels of different hardness: area(easier) - area(harder)."""
    gaps = [
        (a["area"] - b["area"]) if a["hardness"] < b["hardness"] else (b["area"] - a["area"])
        for a, b in combinations(levels, 2)
        if a["hardness"] != b["hardness"]
    ]
    return np.mean(gaps, axis=0)


def _rows_frame(frame: Any, rows: Any) -> Any:
    return frame.loc[np.unique(np.concatenate([np.asarray(r, dtype=int) for r in rows]))]


# --- the claims -----------------------------------------------------------------------------


def monotone_drop(points: Points, analysis: Analysis, name: str) -> Evidence:
    pts = deduplicated(_select(points, "pruning", analysis.methods, COMPRESSED_MODES, analysis))
    frame, values = pts.frame, pts.values[name]
    evidence = Evidence()
    drops, used = [], []
    for key, group in frame.groupby(CURVE, sort=True) if len(frame) else []:
        ordered = group.sort_values("strength")
        if len(ordered) < analysis.trend_min_levels or not ordered["is_dense"].iloc[0]:
            continue
        rows = ordered.index.to_numpy()
        drop = values[rows[0]] - values[rows[-1]]
        curve = f"{key[2]}/{key[3]}/{key[4]}/{key[6]}"  # task/difficulty/method/mode
        for i in range(len(rows) - 1):
            evidence.rises.append(
                (
                    f"{curve} from {ordered['x'].iloc[i]:g} to {ordered['x'].iloc[i + 1]:g}",
                    values[rows[i + 1]] - values[rows[i]],
                )
            )
        drops.append(drop)
        used.append(rows)
        evidence.details.append(
            ({**dict(zip(CURVE, key, strict=True)), "n_levels": len(rows)}, drop, ordered)
        )
    if not drops:
        return Evidence(
            no_data=f"no {'/'.join(COMPRESSED_MODES)} curve of {list(analysis.methods)} with "
            f"at least {analysis.trend_min_levels} levels (dense included)"
        )
    evidence.tests = [("mean drop, dense - highest level", np.mean(drops, axis=0))]
    evidence.frame = _rows_frame(frame, used)
    return evidence


def steeper_when_harder(points: Points, analysis: Analysis, name: str) -> Evidence:
    pts = _select(points, "pruning", analysis.methods, COMPRESSED_MODES, analysis)
    groups = _level_areas(pts.frame, pts.values[name])
    if not groups:
        return Evidence(no_data="no order group with two or more difficulty levels of known order")
    evidence, rows = Evidence(), []
    for g in groups:
        g["gap"] = _pair_gap(g["levels"])
        rows += [lv["rows"] for lv in g["levels"]]
        keys = {k: g[k] for k in ("order_group", "method", "structure", "mode")}
        used = _rows_frame(pts.frame, [lv["rows"] for lv in g["levels"]])
        evidence.details.append(({**keys, "n_levels": len(g["levels"])}, g["gap"], used))
    evidence.tests = [("area gap, easier - harder", np.mean([g["gap"] for g in groups], axis=0))]
    evidence.frame = _rows_frame(pts.frame, rows)
    return evidence


def not_recovered(points: Points, analysis: Analysis, name: str) -> Evidence:
    import pandas as pd

    s2d = _select(points, "pruning", analysis.methods, ("sparse_to_dense",), analysis)
    groups = _level_areas(s2d.frame, s2d.values[name])
    if not groups:
        return Evidence(
            no_data="no sparse_to_dense curve with two or more difficulty levels of known order"
        )
    evidence = Evidence()
    gaps = []
    for g in groups:
        gaps.append(_pair_gap(g["levels"]))
        used = _rows_frame(s2d.frame, [lv["rows"] for lv in g["levels"]])
        keys = {"order_group": g["order_group"], "statistic": "deficit gap (sparse-to-dense)"}
        evidence.details.append((keys, gaps[-1], used))
    rows = [lv["rows"] for g in groups for lv in g["levels"]]
    evidence.tests = [("deficit gap, harder - easier (sparse-to-dense)", np.mean(gaps, axis=0))]
    frozen = _select(points, "pruning", analysis.methods, ("dense_freeze",), analysis)
    ff, fv = frozen.frame, frozen.values[name]
    contrasts, frozen_rows = [], []
    for g in groups:
        hardest = max(g["levels"], key=lambda lv: lv["hardness"])
        match = ff[
            (ff["task"] == hardest["task"])
            & (ff["difficulty"] == hardest["difficulty"])
            & (ff["method"] == g["method"])
            & (ff["structure"] == g["structure"])
            & ff["x"].isin(g["x"])
            & ~ff["is_dense"].astype(bool)
        ]
        if len(match) != len(g["x"]):
            continue
        contrasts.append(fv[match.index.to_numpy()].mean(axis=0) - hardest["area"])
        frozen_rows.append(match.index.to_numpy())
        keys = {
            "order_group": g["order_group"],
            "statistic": f"dense_freeze - sparse_to_dense at {hardest['difficulty']}",
        }
        evidence.details.append((keys, contrasts[-1], match))
    frame = _rows_frame(s2d.frame, rows)
    if contrasts:
        evidence.tests.append(
            ("dense_freeze - sparse_to_dense, hardest level", np.mean(contrasts, axis=0))
        )
        frame = pd.concat([frame, _rows_frame(ff, frozen_rows)])
    else:
        evidence.notes.append("no dense_freeze control on the hardest levels: not tested")
    evidence.frame = frame
    return evidence


def beats_random(points: Points, analysis: Analysis, name: str) -> Evidence:
    pts = deduplicated(_select(points, "pruning", None, ("sparse",)))
    frame, values = pts.frame, pts.values[name]
    frame = frame[~frame["is_dense"].astype(bool)]
    match = ["setting", "model", "task", "difficulty", "structure", "x"]
    ours = frame[frame["method"] == analysis.matched_to].reset_index()
    control = frame[frame["method"] == analysis.random_control].reset_index()
    pairs = ours.merge(control, on=match, suffixes=("", "_control"))
    if pairs.empty:
        return Evidence(
            no_data=f"no sparse-mode rows of {analysis.random_control!r} matched to "
            f"{analysis.matched_to!r}"
        )
    diff = values[pairs["index"].to_numpy()] - values[pairs["index_control"].to_numpy()]
    used = frame.loc[np.concatenate([pairs["index"], pairs["index_control"]])]
    evidence = Evidence([("magnitude - random at equal sparsity", diff.mean(axis=0))], used)
    for column in ("x", "difficulty"):
        for level, group in pairs.groupby(column):
            sub = frame.loc[np.concatenate([group["index"], group["index_control"]])]
            evidence.details.append(
                ({"by": column, "level": level}, diff[group.index.to_numpy()].mean(axis=0), sub)
            )
    # Difficulty interaction: the difference on the easier minus the harder level.
    pairs = with_order_group(pairs)
    inter = []
    for _, group in pairs.groupby(["order_group", "structure", "x"]):
        hard = group["hardness"].astype(float).to_numpy()
        if np.isfinite(hard).sum() < 2 or np.nanmax(hard) == np.nanmin(hard):
            continue
        inter.append(diff[group.index[np.nanargmin(hard)]] - diff[group.index[np.nanargmax(hard)]])
    if inter:
        keys = {"by": "difficulty interaction (easier - harder)", "level": "all"}
        evidence.details.append((keys, np.mean(inter, axis=0), used))
    return evidence


def quantization_does_not_order(points: Points, analysis: Analysis, name: str) -> Evidence:
    quant = _select(points, "quantization")
    q_groups = _level_areas(quant.frame, quant.values[name])
    prune = _select(points, "pruning", analysis.methods, COMPRESSED_MODES, analysis)
    p_groups = _level_areas(prune.frame, prune.values[name])
    if not q_groups or not p_groups:
        return Evidence(
            no_data="quantization and pruning need the same order groups with two or more "
            "difficulty levels of known order"
        )
    pruning_gap: dict[str, list] = {}
    for g in p_groups:
        pruning_gap.setdefault(g["order_group"], []).append(_pair_gap(g["levels"]))
    evidence, diffs, rows = Evidence(), [], []
    for g in q_groups:
        if g["order_group"] not in pruning_gap:
            continue
        p_gap = np.mean(pruning_gap[g["order_group"]], axis=0)
        q_gap = _pair_gap(g["levels"])
        diffs.append(p_gap - q_gap)
        rows += [lv["rows"] for lv in g["levels"]]
        keys = {
            "order_group": g["order_group"],
            "arm": f"{g['method']}/{g['mode']}",
            "gap_pruning": float(p_gap[0]),
            "gap_quantization": float(q_gap[0]),
        }
        used = _rows_frame(quant.frame, [lv["rows"] for lv in g["levels"]])
        evidence.details.append((keys, diffs[-1], used))
    if not diffs:
        return Evidence(no_data="no order group compressed both ways")
    evidence.tests = [("pruning gap - quantization gap", np.mean(diffs, axis=0))]
    evidence.frame = _rows_frame(quant.frame, rows)
    return evidence


CLAIMS = {
    "a": ("Performance falls monotonically as sparsity grows", monotone_drop),
    "b": ("Performance falls faster for harder tasks", steeper_when_harder),
    "c": (
        "Sparse-to-dense fine-tuning does not recover dense performance on harder tasks",
        not_recovered,
    ),
    "d": ("Pruning by magnitude keeps more than the matched random control", beats_random),
    "e": (
        "Quantization does not order tasks by difficulty the way pruning does",
        quantization_does_not_order,
    ),
}


# --- judging --------------------------------------------------------------------------------


def _estimate(values: np.ndarray, frame: Any, analysis: Analysis) -> Estimate:
    return estimate(values, analysis.confidence, seeds_of(frame), bool(frame["noisy"].any()))


def _judge_one(ev: Evidence, analysis: Analysis, cols: slice, details: bool) -> Judgement:
    """One normalization, one study (``cols``): estimates; the verdict comes in _finish."""
    if ev.no_data:
        return Judgement(UNDEFINED, UNDECIDED, f"no data: {ev.no_data}")
    parts = [(label, _estimate(v[cols], ev.frame, analysis)) for label, v in ev.tests]
    # Intersection-union test: every part must hold, so the claim's p is the largest.
    p = max(e.p for _, e in parts) if all(e.defined for _, e in parts) else np.nan
    head = Estimate(**{**vars(parts[0][1]), "p": p})
    fine_tuned = ev.frame[~ev.frame["deterministic"].astype(bool)]
    return Judgement(
        head,
        UNDECIDED,
        "",
        margin(head, analysis.margin),
        fine_tuned_seeds=int(fine_tuned["n_seeds"].min()) if len(fine_tuned) else None,
        parts=[{"statistic": label, **e.as_dict()} for label, e in parts],
        details=[
            {**keys, **_estimate(v[cols], frame, analysis).as_dict()}
            for keys, v, frame in (ev.details if details else [])
        ],
    )


def _significant_rises(ev: Evidence, analysis: Analysis, cols: slice) -> list[str]:
    """The adjacent steps whose rise is significant, Holm across all steps of the claim."""
    noisy = bool(ev.frame["noisy"].any())
    p = {label: estimate(v[cols], analysis.confidence, 1, noisy).p for label, v in ev.rises}
    adjusted = holm(p)
    alpha = 1 - analysis.confidence
    return [k for k, q in adjusted.items() if np.isfinite(q) and q <= alpha]


def _finish(j: Judgement, ev: Evidence, analysis: Analysis, cols: slice) -> None:
    """The verdict of one normalization, given its Holm-adjusted p."""
    if ev.no_data:
        return
    few = j.fine_tuned_seeds
    if few is not None and few < analysis.min_seeds:
        j.verdict, j.reason = UNDECIDED, f"too few seeds ({few} < {analysis.min_seeds})"
        return
    rises = _significant_rises(ev, analysis, cols) if ev.rises else []
    if rises:
        shown = ", ".join(rises[:3]) + (f" and {len(rises) - 3} more" if len(rises) > 3 else "")
        j.verdict = FAILS
        j.reason = (
            f"not monotone: {len(rises)} significant rise(s) between adjacent levels "
            f"(Holm over {len(ev.rises)} steps): {shown}"
        )
        return
    j.verdict, j.reason = decide(j.estimate, 1 - analysis.confidence, analysis.margin, j.p_holm)
    if len(j.parts) > 1:
        j.reason += " (largest p of: " + "; ".join(p["statistic"] for p in j.parts) + ")"
    if ev.notes:
        j.reason += "; " + "; ".join(ev.notes)


def combine(by_norm: dict[str, Judgement]) -> tuple[str, str]:
    """A claim holds (does not hold) only if it does under both normalizations."""
    verdicts = {n: j.verdict for n, j in by_norm.items()}
    if len(set(verdicts.values())) == 1:
        only = next(iter(by_norm.values()))
        if len({j.reason for j in by_norm.values()}) == 1:
            return only.verdict, f"both normalizations: {only.reason}"
        return only.verdict, " / ".join(f"{NAMES[n]}: {j.reason}" for n, j in by_norm.items())
    said = "; ".join(f"{NAMES[n]}: {j.verdict} ({j.reason})" for n, j in by_norm.items())
    return UNDECIDED, f"the normalizations disagree -- {said}"


def judge_blocks(points: Points, analysis: Analysis, details: bool = True) -> list[list[Claim]]:
    """Every claim (a)-(e) of every stacked study, both normalizations, Holm across the
    five claims of each study and normalization (``details``: the per-group estimates)."""
    evidence = {
        name: {key: fn(points, analysis, name) for key, (_, fn) in CLAIMS.items()}
        for name in NORMALIZATIONS
    }
    studies = []
    for block in range(points.blocks):
        cols = points.block(block)
        judged: dict[str, dict[str, Judgement]] = {}
        for name in NORMALIZATIONS:
            judged[name] = {
                k: _judge_one(ev, analysis, cols, details) for k, ev in evidence[name].items()
            }
            adjusted = holm({k: j.estimate.p for k, j in judged[name].items()})
            for key, j in judged[name].items():
                j.p_holm = adjusted[key]
                _finish(j, evidence[name][key], analysis, cols)
        claims = []
        for key, (statement, _) in CLAIMS.items():
            by_norm = {name: judged[name][key] for name in NORMALIZATIONS}
            verdict, reason = combine(by_norm)
            tests = evidence["ratio"][key].tests
            claims.append(
                Claim(key, statement, tests[0][0] if tests else "", verdict, reason, by_norm)
            )
        studies.append(claims)
    return studies


def judge(points: Points, analysis: Analysis) -> list[Claim]:
    """Every claim, in order (a)-(e), of a single study."""
    return judge_blocks(points, analysis)[0]
