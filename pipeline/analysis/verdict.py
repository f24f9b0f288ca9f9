"""The study's verdict on each claim: a machine-readable dict and a Markdown page.

Pipeline: the gates table's failed levels (knowledge or difficulty-order gate,
pipeline/analysis/gates.py) are dropped and listed -> stage-1 replicates of every
run (knowledge items, paired within each level) -> the headroom gate (levels too close to
chance are excluded and listed) -> curve points with seed-level replicates -> the five
claims under both normalizations (Holm across claims; chance-corrected primary), per
setting and pooled; with several pre-training seeds, per seed and combined by a t interval.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from pipeline.analysis.claims import NAMES, Claim, judge
from pipeline.analysis.decide import FAILS, HOLDS, INCONCLUSIVE
from pipeline.analysis.examples_file import ExamplesFile
from pipeline.analysis.gates import failed_levels, gates_markdown, headroom, with_headroom
from pipeline.analysis.options import Analysis
from pipeline.analysis.points import POINT, build_points, stack
from pipeline.analysis.provenance import provenance
from pipeline.analysis.resample import (
    GATE_KEYS,
    NORMALIZATIONS,
    PRETRAIN,
    pretrain_seeds,
    run_replicates,
)
from pipeline.analysis.undefined_ratio import excluded_levels


def _num(value: Any) -> str:
    return "n/a" if value is None or not np.isfinite(value) else f"{value:+.3f}"


def _p(value: Any) -> str:
    return "n/a" if value is None or not np.isfinite(value) else f"{value:.3g}"


def _points(
    frame: Any, examples: Any | None, analysis: Analysis, drop: Any | None, draw_seeds=True
) -> tuple:
    frame = frame.reset_index(drop=True).assign(_run=np.arange(len(frame)))
    rep = run_replicates(frame, examples, analysis.bootstrap_resamples)
    gate = headroom(frame, rep, analysis.headroom_se)
    kept = frame if drop is None else frame[~np.asarray(drop, dtype=bool)]
    return build_points(with_headroom(kept, gate), rep, draw_seeds=draw_seeds), gate


def evaluate(
    normalized: Any, examples: Any | None, analysis: Analysis, drop: Any | None = None
) -> tuple:
    """(claims, headroom table): the statistics behind the verdict. ``drop`` (a boolean per
    row of ``normalized``) marks runs that enter no claim: the gates table's.

    With several pre-training seeds (a ``pretrain_seed`` column) each seed's runs are
    judged apart (its replicates resample items; its fine-tuning seeds' variance is in the
    spread between pre-training seeds) and the claims combine the per-seed estimates by a
    t interval (:func:`pipeline.analysis.decide.estimate_t`); rows without a pre-training
    seed (hub models) enter every seed's study."""
    import pandas as pd

    normalized = normalized.reset_index(drop=True)
    seeds = pretrain_seeds(normalized)
    if len(seeds) < 2:
        points, gate = _points(normalized, examples, analysis, drop)
        return judge(points, analysis), gate
    column = normalized[PRETRAIN]
    replicated = set(normalized.loc[column.notna(), "model"])
    per_seed, gates = [], []
    for seed in seeds:
        mask = (column == seed) | column.isna()
        ex = None
        if isinstance(examples, ExamplesFile) and PRETRAIN in examples.columns:
            ex = examples.for_pretrain(seed)
        elif examples is not None and PRETRAIN in examples.columns:
            ex = examples[(examples[PRETRAIN] == seed) | examples[PRETRAIN].isna()]
        elif examples is not None:
            raise ValueError(
                "examples table: no 'pretrain_seed' column, but the results have "
                f"pre-training seeds {seeds}: per-example rows cannot be matched to their runs"
            )
        sub_drop = None if drop is None else np.asarray(drop, dtype=bool)[mask.to_numpy()]
        points, gate = _points(normalized[mask], ex, analysis, sub_drop, draw_seeds=False)
        per_seed.append(points)
        # a level of a model pre-trained once enters every seed's study: listed once
        gates.append(
            gate.assign(**{PRETRAIN: [seed if m in replicated else None for m in gate["model"]]})
        )
    keys = [tuple(r) for r in per_seed[0].frame[POINT].itertuples(index=False)]
    common = set(keys).intersection(
        *({tuple(r) for r in p.frame[POINT].itertuples(index=False)} for p in per_seed[1:])
    )
    # Layouts are sorted by POINT: the points every seed has line up row for row.
    aligned = [
        p.subset([tuple(r) in common for r in p.frame[POINT].itertuples(index=False)])
        for p in per_seed
    ]
    gate = pd.concat(gates).drop_duplicates(subset=[*GATE_KEYS, PRETRAIN])
    return judge(stack(aligned, group=len(seeds)), analysis), gate


def item_counts(examples: Any | None) -> list[dict[str, Any]]:
    """Per level: distinct knowledge items and examples of its dense runs (the unit the
    intervals resample; each example is its own item without ``item_id``)."""
    if examples is None or not len(examples):
        return []
    if isinstance(examples, ExamplesFile):  # the dense rows only, not the whole table
        wanted = ["setting", "task", "difficulty", "compression", "example_id"]
        wanted += ["item_id"] if "item_id" in examples.columns else []
        dense = examples.read({"compression": "dense"}, columns=wanted)
    else:
        dense = examples[examples["compression"] == "dense"]
    item = "item_id" if "item_id" in dense.columns else "example_id"
    table = (
        dense.groupby(["setting", "task", "difficulty"], observed=True)
        .agg(items=(item, "nunique"), examples=("example_id", "nunique"))
        .reset_index()
    )
    return [
        {**r, "items": int(r["items"]), "examples": int(r["examples"])}
        for r in table.to_dict("records")
    ]


def _interval(d: dict[str, Any]) -> str:
    """ "[low, high]", or "no interval" where there is none (never a zero-width one)."""
    if d.get("ci_low") is None or d.get("ci_high") is None:
        return "no interval"
    return f"[{_num(d['ci_low'])}, {_num(d['ci_high'])}]"


def _primary(claim: dict[str, Any]) -> dict[str, Any]:
    return claim[claim.get("primary", "chance")]


def sentence(claim: Claim, analysis: Analysis) -> str:
    """One plain sentence: the claim, its verdict and the primary scale's effect."""
    j = claim.by_normalization["chance"]
    effect = ""
    if j.estimate.n_seeds:
        effect = (
            f" -- chance-corrected effect {_num(j.estimate.value)} "
            f"{_interval(j.estimate.as_dict())}"
        )
    return f"({claim.key}) {claim.statement}: **{claim.verdict.upper()}**{effect}; {claim.reason}."


def summary(result: dict[str, Any]) -> list[str]:
    """The plain-language summary: what holds, what does not, what is inconclusive and
    what would decide it."""
    groups: dict[str, list[str]] = {HOLDS: [], FAILS: [], INCONCLUSIVE: []}
    for claim in result["claims"]:
        j = _primary(claim)
        line = f"({claim['key']}) {claim['statement']}"
        if j.get("mean") is not None:
            line += f": {_num(j['mean'])} {_interval(j)}"
        if claim["verdict"] == INCONCLUSIVE:
            line += f" -- {_what_decides(j)}"
        groups.setdefault(claim["verdict"], []).append(line)
    margin, level = result["analysis"]["margin"], result["analysis"]["confidence"]
    lines = [
        "Each claim is judged on the chance-corrected scale (the share of the dense model's "
        "headroom above chance that survives compression): it **holds** when its one-sided "
        f"{level:.0%} lower bound lies above 0 (Holm across the claims), **does not hold** "
        f"when its one-sided {level:.0%} upper bound lies below the margin "
        f"{margin['chance']:g} fixed before the data, and is **inconclusive** in between. "
        f"Brackets show the two-sided {level:.0%} interval, which is wider: a verdict may "
        "stand beside a bracket that crosses 0 or the margin.",
        "",
    ]
    for verdict_, title in (
        (HOLDS, "Holds"),
        (FAILS, "Does not hold"),
        (INCONCLUSIVE, "Inconclusive"),
    ):
        items = groups.get(verdict_, [])
        lines.append(f"**{title}:** " + ("none." if not items else ""))
        lines += [f"- {item}" for item in items]
        lines.append("")
    return lines


def _what_decides(j: dict[str, Any]) -> str:
    if j.get("mean") is None:
        return j["reason"]
    if j.get("ci_low") is None:
        return "no interval (no seed or item variation): more seeds or items would decide"
    detectable, margin = j.get("detectable_effect"), j.get("margin")
    if detectable is None or not margin:
        return j["reason"]
    factor = (detectable / margin) ** 2
    if factor > 1:
        return (
            f"detectable effect {detectable:.3f} against the margin {margin:.3f}: about "
            f"{factor:.1f}x the seeds or items would decide"
        )
    return "the estimate lies between 0 and the margin: more seeds or items would decide"


def _at_seed(failed_level: dict[str, Any]) -> str:
    """Where a replicated level failed: it leaves the claims at every pre-training seed."""
    seed = failed_level.get("pretrain_seed")
    return "" if seed is None else f" at pre-training seed {seed} (so at every seed)"


def _instance(level: dict[str, Any]) -> str:
    """A level's regime, and its pre-training seed where the study replicates pre-training
    (the same level is listed once per seed)."""
    seed = level.get("pretrain_seed")
    return level["regime"] if seed is None else f"{level['regime']}, pre-training seed {int(seed)}"


def _records(table: Any) -> list[dict[str, Any]]:
    """Rows as dicts with null (not NaN, which strict JSON readers reject) where empty."""
    return table.astype(object).where(table.notna(), None).to_dict("records")


def verdict(
    normalized: Any,
    analysis: Analysis,
    study: str,
    examples: Any | None = None,
    gates: Any | None = None,
    folder: Any | None = None,
) -> dict[str, Any]:
    """The verdict as a dict (verdict.json). ``folder``: where the analysis record of
    :mod:`pipeline.analysis.provenance` lives (the tables' folder; None: not recorded)."""
    drop, dropped = None, []
    if gates is not None:
        drop, dropped = failed_levels(normalized, gates)
    claims, gate = evaluate(normalized, examples, analysis, drop)
    excluded = gate[~gate["has_headroom"].astype(bool)]
    return {
        "study": study,
        "analysis": {**json.loads(analysis.to_json()), "hash": analysis.digest},
        "n_runs": int(len(normalized)),
        "n_seeds": int(normalized["seed"].nunique()),
        "examples": examples is not None and len(examples) > 0,
        "items": item_counts(examples),
        "gates_failed_levels": dropped,
        "gates": None if gates is None else _records(gates),
        "excluded_levels": _records(excluded.drop(columns="has_headroom")),
        "undefined_ratio_levels": excluded_levels(normalized),
        "headroom": _records(gate),
        "claims": [c.as_dict() for c in claims],
        "sentences": [sentence(c, analysis) for c in claims],
        "provenance": provenance(normalized, analysis, folder),
    }


def _table(rows: list[dict[str, Any]], skip: tuple[str, ...] = ()) -> list[str]:
    rows = [r for r in rows if "mean" in r]
    if not rows:
        return []
    numbers = {"mean", "ci_low", "ci_high", "lower_bound", "upper_bound", "p", "detectable_effect"}
    keys = [k for k in dict.fromkeys(k for r in rows for k in r) if k not in numbers | set(skip)]
    lines = [
        "| " + " | ".join(keys + ["effect", "interval", "detectable"]) + " |",
        "|" + "---|" * (len(keys) + 3),
    ]
    for r in rows:
        cells = [f"{r[k]:.3g}" if isinstance(r.get(k), float) else str(r.get(k, "")) for k in keys]
        cells += [_num(r["mean"]), _interval(r), _num(r["detectable_effect"])]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


QUICK_LOOK = (
    "**Quick look: too small to decide.** This study is shrunk to show every output in "
    "minutes (few pre-training steps, seeds, levels and fine-tuning steps); nothing below is "
    "evidence for or against a claim. The full study (`make study`) decides."
)


def _by_setting(result: dict[str, Any]) -> list[str]:
    """One row per claim: the pooled verdict beside each setting's."""
    settings = sorted({s["setting"] for c in result["claims"] for s in _primary(c)["settings"]})
    if not settings:
        return ["No claim has per-setting estimates."]
    lines = [
        "| claim | pooled | " + " | ".join(settings) + " | heterogeneity |",
        "|---|---|" + "---|" * len(settings) + "---|",
    ]
    for claim in result["claims"]:
        j = _primary(claim)
        per = {s["setting"]: s for s in j["settings"]}
        cells = [f"({claim['key']})", _cell(claim["verdict"], j)]
        cells += [_cell(per[s]["verdict"], per[s]) if s in per else "--" for s in settings]
        h = j.get("heterogeneity") or {}
        cells.append(
            f"Q = {h['Q']:.2f} (df {h['df']}, p = {h['p']:.3g}), I² = {h['I2']:.0%}" if h else "--"
        )
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _secondary(result: dict[str, Any]) -> list[str]:
    """Each claim's secondary statistics (chance-corrected): printed, never decided."""
    lines = []
    for claim in result["claims"]:
        for s in _primary(claim).get("secondary") or []:
            lines.append(
                f"- ({claim['key']}) {s['statistic']}, {s['setting']}: {_num(s['mean'])} "
                f"{_interval(s)} (tolerance {s['tolerance']:g} of dense)"
            )
    if not lines:
        return []
    return ["Secondary statistics (printed beside the claim, not decided):", ""] + lines + [""]


def _cell(verdict_: str, d: dict[str, Any]) -> str:
    if d.get("mean") is None:
        return verdict_
    return f"{verdict_}: {_num(d['mean'])} {_interval(d)}"


def _items(result: dict[str, Any]) -> list[str]:
    items = result.get("items") or []
    if not items:
        return ["No per-example table: intervals resample seeds only."]
    lines = ["| setting | task | level | items | examples |", "|---|---|---|---|---|"]
    lines += [
        f"| {r['setting']} | {r['task']} | {r['difficulty']} | {r['items']} | {r['examples']} |"
        for r in items
    ]
    return lines


def _provenance(p: dict[str, Any]) -> list[str]:
    lines = [
        f"- code commit: {p['commit']}",
        f"- analysis hash: {p['analysis_hash']}",
    ]
    record = p.get("record")
    if record:
        lines.append(
            f"- analysis hash first recorded for these results: {record['recorded_hash']} "
            f"({record['recorded_at']}, by `{record.get('recorded_by', 'verdict')}`)"
        )
    lines += [
        f"- run protocol hashes: {', '.join(p['protocol_hashes']) or 'n/a'}",
        f"- pre-training seeds: {', '.join(map(str, p['pretrain_seeds'])) or 'one (not varied)'}",
        f"- fine-tuning seeds: {', '.join(map(str, p['finetune_seeds']))}",
        "- packages: " + ", ".join(f"{k} {v}" for k, v in p["versions"].items()),
    ]
    return lines


def markdown(result: dict[str, Any]) -> str:
    a = result["analysis"]
    alpha = 1 - a["confidence"]
    record = (result.get("provenance") or {}).get("record")
    lines = [f"# Verdict: study `{result['study']}`", ""]
    if a.get("quick_look"):
        lines += [QUICK_LOOK, ""]
    if record and record["changed"]:
        lines += [
            f"> **Warning:** the analysis settings changed since they were first recorded for "
            f"these results ({record['recorded_hash']}, {record['recorded_at']}; now "
            f"{record['current_hash']}). A margin or pair chosen after seeing the data is "
            "not a test.",
            "",
        ]
    lines += ["## In short", ""] + summary(result)
    lines += ["## Per setting (chance-corrected)", ""] + _by_setting(result)
    lines += [
        "",
        "Per-setting verdicts are not adjusted for multiplicity; heterogeneity is Cochran's "
        "Q across settings with I² (Higgins & Thompson 2002).",
        "",
    ]
    lines += _secondary(result)
    lines += [
        "## Margin",
        "",
        f"Smallest effect that matters: chance-corrected {a['margin']['chance']:g}, ratio "
        f"{a['margin']['ratio']:g} (`analysis.margin`, fixed in the config); analysis hash "
        f"`{a['hash']}`"
        + (
            f", first recorded for these results at {record['recorded_at']}"
            + (" (unchanged)" if not record["changed"] else f" as `{record['recorded_hash']}`")
            if record
            else ""
        )
        + ".",
        "",
        "## Items per level",
        "",
    ]
    lines += _items(result)
    source = (
        "seeds, then knowledge items within each seed (paired across compression levels and modes)"
        if result["examples"]
        else "seeds only (no per-example scores: evaluation noise is NOT in the intervals)"
    )
    lines += [
        "",
        "## Details",
        "",
        f"{result['n_runs']} runs, {result['n_seeds']} fine-tuning seed"
        f"{'s' * (result['n_seeds'] != 1)}. Intervals: {a['confidence']:.0%} hierarchical "
        f"bootstrap over {source}, {a['bootstrap_resamples']} replicates (with several "
        "pre-training seeds: a t interval over their estimates). A claim holds when its "
        f"one-sided test at α = {alpha:.2g} (Holm across the five claims) rejects 'no "
        "effect' on the chance-corrected scale; it does not hold when the one-sided upper "
        "bound is below the margin; fine-tuned cells need at least "
        f"{a['min_seeds']} seeds. Method: docs/statistics.md.",
        "",
    ]
    lines += [f"- {s}" for s in result["sentences"]]
    if result.get("gates") is not None:
        lines += ["", "### Excluded levels (difficulty gates)", ""]
        lines += [
            f"- {e['setting']}/{e['task']}/{e['difficulty']} ({e['regime']}): failed "
            f"{', '.join(e['failed'])}{_at_seed(e)}; its {e['n_rows']} runs are in no claim"
            for e in result["gates_failed_levels"]
        ] or ["None."]
    lines += ["", "### Excluded levels (no headroom above chance)", ""]
    excluded = result["excluded_levels"]
    if excluded:
        lines += [
            f"- {e['setting']}/{e['model']}/{e['task']}/{e['difficulty']} ({_instance(e)}): "
            f"dense {e['dense']:.3f} < chance {e['chance']:.3f} + {a['headroom_se']:g} × SE "
            f"{e['se']:.3f} ({e['how']})"
            for e in excluded
        ]
    else:
        lines.append("None.")
    unverified = [h for h in result["headroom"] if str(h["how"]).startswith("unverified")]
    if unverified:
        lines.append(f"- {len(unverified)} levels unverified (no chance level in the table).")
    lines += ["", "### Excluded levels (no ratio to dense)", ""]
    lines += [
        f"- {e['setting']}/{e['model']}/{e['task']}/{e['difficulty']} ({e['regime']}): "
        f"{e['reason']}; its {e['n_rows']} runs are in no claim, curve or summary"
        for e in result["undefined_ratio_levels"]
    ] or ["None."]
    for claim in result["claims"]:
        lines += ["", f"### ({claim['key']}) {claim['statement']}: {claim['verdict']}", ""]
        lines += [f"Verdict reason: {claim['reason']}.", ""]
        for name in NORMALIZATIONS:
            j = claim[name]
            role = "primary" if name == claim.get("primary", "chance") else "secondary"
            lines += [
                f"#### {NAMES[name]} scale ({role}): {j['verdict']}",
                "",
                f"- effect ({claim['effect'] or 'n/a'}): {_num(j['mean'])}, "
                f"{a['confidence']:.0%} CI {_interval(j)}, one-sided lower bound "
                f"{_num(j['lower_bound'])}, p = {_p(j['p'])}, Holm p = {_p(j['p_holm'])}, "
                f"{j['n_seeds']} seeds",
                f"- smallest detectable effect (one-sided α = {alpha:.2g}, power 80%): "
                f"{_num(j['detectable_effect'])}; margin {_num(j['margin'])}",
                f"- {j['reason']}",
                "",
            ]
            lines += _table(j["parts"]) + [""] if len(j["parts"]) > 1 else []
            lines += _table(j["settings"], skip=("reason",)) + [""]
            lines += _table(j["details"])
            lines.append("")
    if result.get("gates") is not None:
        import pandas as pd

        table = pd.DataFrame(result["gates"])
        lines += ["", gates_markdown(table, a["headroom_se"])]
    if result.get("provenance"):
        lines += ["", "## Provenance", ""] + _provenance(result["provenance"])
    return "\n".join(lines) + "\n"
