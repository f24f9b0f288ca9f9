"""The study's verdict on each claim: a machine-readable dict and a Markdown page.

Pipeline: the calibration table's failed levels (knowledge or difficulty-order gate,
pipeline/analysis/calibration.py) are dropped and listed -> stage-1 replicates of every
run (examples, paired within each cell) -> the headroom gate (levels too close to chance
are excluded and listed) -> curve points with seed-level replicates -> the five claims
under both normalizations (Holm across claims).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pipeline.analysis.calibration import calibration_markdown
from pipeline.analysis.claims import NAMES, Claim, judge
from pipeline.analysis.headroom import LEVEL, headroom, regime, with_headroom
from pipeline.analysis.options import Analysis
from pipeline.analysis.points import build_points
from pipeline.analysis.resample import NORMALIZATIONS, run_replicates
from pipeline.analysis.undefined_ratio import excluded_levels


def _num(value: Any) -> str:
    return "n/a" if value is None or not np.isfinite(value) else f"{value:+.3f}"


def _p(value: Any) -> str:
    return "n/a" if value is None or not np.isfinite(value) else f"{value:.3g}"


def evaluate(
    normalized: Any, examples: Any | None, analysis: Analysis, drop: Any | None = None
) -> tuple:
    """(claims, headroom table): the statistics behind the verdict. ``drop`` (a boolean per
    row of ``normalized``) marks runs that enter no claim: the calibration gate's."""
    frame = normalized.reset_index(drop=True).assign(_run=np.arange(len(normalized)))
    rep = run_replicates(frame, examples, analysis.bootstrap_resamples)
    gate = headroom(frame, rep, analysis.headroom_se)
    kept = frame if drop is None else frame[~np.asarray(drop, dtype=bool)]
    points = build_points(with_headroom(kept, gate), rep)
    return judge(points, analysis), gate


def sentence(claim: Claim, analysis: Analysis) -> str:
    """One plain sentence: the claim, the verdict, and each normalization's effect."""
    level = f"{analysis.confidence:.0%}"
    parts = []
    for name, j in claim.by_normalization.items():
        iv = j.estimate
        if iv.n_seeds == 0:
            continue
        parts.append(f"{NAMES[name]} {_num(iv.value)} [{_num(iv.low)}, {_num(iv.high)}]")
    head = f"({claim.key}) {claim.statement}: **{claim.verdict.upper()}**"
    if not parts:
        return f"{head} -- {claim.reason}."
    return f"{head} -- effect ({level} CI) {'; '.join(parts)}; {claim.reason}."


# A calibration row is the main model's level: the headroom gate's level without the model.
CALIBRATION_LEVEL = [key for key in LEVEL if key != "model"]
CALIBRATION_GATES = ("gate_headroom", "gate_pretraining", "gate_order", "gate_published")


def failed_calibration(normalized: Any, calibration: Any) -> tuple[Any, list[dict[str, Any]]]:
    """(a boolean per row of ``normalized``: its level failed calibration; the failed levels
    with the gates they failed): every run of such a level leaves every claim."""
    failed = calibration[~calibration["passed"].astype(bool)]
    if failed.empty:
        return np.zeros(len(normalized), dtype=bool), []
    keyed = normalized.assign(regime=regime(normalized))
    hit = (
        keyed[CALIBRATION_LEVEL]
        .merge(failed[CALIBRATION_LEVEL], on=CALIBRATION_LEVEL, how="left", indicator=True)[
            "_merge"
        ]
        .eq("both")
        .to_numpy()
    )
    counts = keyed[hit].groupby(CALIBRATION_LEVEL).size()
    listed = [
        {
            **{k: row[k] for k in CALIBRATION_LEVEL},
            "failed": [g.removeprefix("gate_") for g in CALIBRATION_GATES if _failed(row.get(g))],
            "n_rows": int(counts.get(tuple(row[k] for k in CALIBRATION_LEVEL), 0)),
        }
        for row in failed.to_dict("records")
    ]
    return hit, listed


def _records(table: Any) -> list[dict[str, Any]]:
    """Rows as dicts with null (not NaN, which strict JSON readers reject) where empty."""
    return table.astype(object).where(table.notna(), None).to_dict("records")


def _failed(gate: Any) -> bool:
    """A gate that was judged (not None/NaN: a gate that does not apply) and failed."""
    return gate is not None and gate == gate and not bool(gate)


def verdict(
    normalized: Any,
    analysis: Analysis,
    study: str,
    examples: Any | None = None,
    calibration: Any | None = None,
) -> dict[str, Any]:
    drop, dropped = None, []
    if calibration is not None:
        drop, dropped = failed_calibration(normalized, calibration)
    claims, gate = evaluate(normalized, examples, analysis, drop)
    excluded = gate[~gate["has_headroom"].astype(bool)]
    return {
        "study": study,
        "analysis": {**vars(analysis), "methods": list(analysis.methods)},
        "n_runs": int(len(normalized)),
        "n_seeds": int(normalized["seed"].nunique()),
        "examples": examples is not None and len(examples) > 0,
        "calibration_failed_levels": dropped,
        "calibration": None if calibration is None else _records(calibration),
        "excluded_levels": excluded.drop(columns="has_headroom").to_dict("records"),
        "undefined_ratio_levels": excluded_levels(normalized),
        "headroom": gate.to_dict("records"),
        "claims": [c.as_dict() for c in claims],
        "sentences": [sentence(c, analysis) for c in claims],
    }


def _table(rows: list[dict[str, Any]]) -> list[str]:
    rows = [r for r in rows if "mean" in r]
    if not rows:
        return []
    skip = {"mean", "ci_low", "ci_high", "lower_bound", "upper_bound", "p", "detectable_effect"}
    keys = [k for k in rows[0] if k not in skip]
    lines = [
        "| " + " | ".join(keys + ["effect", "interval", "detectable"]) + " |",
        "|" + "---|" * (len(keys) + 3),
    ]
    for r in rows:
        cells = [f"{r[k]:.3g}" if isinstance(r[k], float) else str(r[k]) for k in keys]
        cells += [
            _num(r["mean"]),
            f"[{_num(r['ci_low'])}, {_num(r['ci_high'])}]",
            _num(r["detectable_effect"]),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


QUICK_LOOK = (
    "**Quick look: too small to decide.** This study is shrunk to show every output in "
    "minutes (few pre-training steps, seeds, levels and fine-tuning steps); nothing below is "
    "evidence for or against a claim. The full study (`make study`) decides."
)


def markdown(result: dict[str, Any]) -> str:
    a = result["analysis"]
    alpha = 1 - a["confidence"]
    source = (
        "seeds, then evaluation examples within each seed (paired across compression levels "
        "and modes)"
        if result["examples"]
        else "seeds only (no per-example scores: evaluation noise is NOT in the intervals)"
    )
    lines = [
        f"# Verdict: study `{result['study']}`",
        "",
        f"{result['n_runs']} runs, {result['n_seeds']} seed{'s' * (result['n_seeds'] != 1)}. "
        "Intervals: "
        f"{a['confidence']:.0%} hierarchical bootstrap over {source}, "
        f"{a['bootstrap_resamples']} replicates. A claim holds when its one-sided test at "
        f"α = {alpha:.2g} (Holm across the five claims) rejects 'no effect' under both "
        "the ratio and the chance-corrected normalization; it does not hold when the "
        "one-sided upper bound is below the margin δ = max(detectable effect, "
        f"{1 - a['tolerance']:g}); fine-tuned cells need at least {a['min_seeds']} seeds. "
        "Method: docs/statistics.md.",
        "",
    ]
    if a.get("quick_look"):
        lines[2:2] = [QUICK_LOOK, ""]
    lines += [f"- {s}" for s in result["sentences"]]
    if result.get("calibration") is not None:
        lines += ["", "## Excluded levels (calibration gate)", ""]
        lines += [
            f"- {e['setting']}/{e['task']}/{e['difficulty']} ({e['regime']}): failed "
            f"{', '.join(e['failed'])}; its {e['n_rows']} runs are in no claim"
            for e in result["calibration_failed_levels"]
        ] or ["None."]
    lines += ["", "## Excluded levels (no headroom above chance)", ""]
    excluded = result["excluded_levels"]
    if excluded:
        lines += [
            f"- {e['setting']}/{e['model']}/{e['task']}/{e['difficulty']} ({e['regime']}): "
            f"dense {e['dense']:.3f} < chance {e['chance']:.3f} + {a['headroom_se']:g} × SE "
            f"{e['se']:.3f} ({e['how']})"
            for e in excluded
        ]
    else:
        lines.append("None.")
    unverified = [h for h in result["headroom"] if str(h["how"]).startswith("unverified")]
    if unverified:
        lines.append(f"- {len(unverified)} levels unverified (no chance level in the table).")
    lines += ["", "## Excluded levels (no ratio to dense)", ""]
    lines += [
        f"- {e['setting']}/{e['model']}/{e['task']}/{e['difficulty']} ({e['regime']}): "
        f"{e['reason']}; its {e['n_rows']} runs are in no claim, curve or summary"
        for e in result["undefined_ratio_levels"]
    ] or ["None."]
    for claim in result["claims"]:
        lines += ["", f"## ({claim['key']}) {claim['statement']}: {claim['verdict']}", ""]
        lines += [f"Verdict reason: {claim['reason']}.", ""]
        for name in NORMALIZATIONS:
            j = claim[name]
            lines += [
                f"### {NAMES[name]} normalization: {j['verdict']}",
                "",
                f"- effect ({claim['effect'] or 'n/a'}): {_num(j['mean'])}, "
                f"{a['confidence']:.0%} CI [{_num(j['ci_low'])}, {_num(j['ci_high'])}], "
                f"one-sided lower bound {_num(j['lower_bound'])}, p = "
                f"{_p(j['p'])}, Holm p = {_p(j['p_holm'])}, {j['n_seeds']} seeds",
                f"- smallest detectable effect (one-sided α = {alpha:.2g}, power 80%): "
                f"{_num(j['detectable_effect'])}; equivalence margin δ = {_num(j['margin'])}",
                f"- {j['reason']}",
                "",
            ]
            lines += _table(j["parts"]) + [""] if len(j["parts"]) > 1 else []
            lines += _table(j["details"])
            lines.append("")
    if result.get("calibration") is not None:
        import pandas as pd

        table = pd.DataFrame(result["calibration"])
        lines += ["", calibration_markdown(table)]
    return "\n".join(lines) + "\n"
