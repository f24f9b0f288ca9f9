"""The study's verdict on each claim: a machine-readable dict and a Markdown page."""

from __future__ import annotations

from typing import Any

import numpy as np

from pipeline.analysis.claims import Claim, judge
from pipeline.analysis.options import Analysis


def _num(value: float) -> str:
    return "n/a" if value is None or not np.isfinite(value) else f"{value:+.3f}"


def sentence(claim: Claim, analysis: Analysis) -> str:
    """One plain sentence: the claim, the verdict, the effect and its interval."""
    iv = claim.interval
    head = f"({claim.key}) {claim.statement}: **{claim.verdict.upper()}**"
    if iv.n == 0:
        return f"{head} — {claim.reason}."
    level = f"{analysis.confidence:.0%}"
    return (
        f"{head} — effect {_num(iv.mean)}, {level} CI [{_num(iv.low)}, {_num(iv.high)}] "
        f"over {iv.n} seed{'s' if iv.n != 1 else ''}; {claim.reason}."
    )


def verdict(normalized: Any, analysis: Analysis, study: str) -> dict[str, Any]:
    claims = judge(normalized, analysis)
    return {
        "study": study,
        "analysis": {**vars(analysis), "methods": list(analysis.methods)},
        "n_runs": int(len(normalized)),
        "n_seeds": int(normalized["seed"].nunique()),
        "claims": [c.as_dict() for c in claims],
        "sentences": [sentence(c, analysis) for c in claims],
    }


def _detail_table(details: list[dict[str, Any]]) -> list[str]:
    if not details:
        return []
    skip = {"reason", "ci_low", "ci_high", "mean"}
    keys = [k for k in details[0] if k not in skip]
    lines = [
        "| " + " | ".join(keys + ["effect", "interval"]) + " |",
        "|" + "---|" * (len(keys) + 2),
    ]
    for d in details:
        cells = [f"{d[k]:.3g}" if isinstance(d[k], float) else str(d[k]) for k in keys]
        lines.append(
            "| "
            + " | ".join(cells + [_num(d["mean"]), f"[{_num(d['ci_low'])}, {_num(d['ci_high'])}]"])
            + " |"
        )
    return lines


def markdown(result: dict[str, Any]) -> str:
    a = result["analysis"]
    lines = [
        f"# Verdict: study `{result['study']}`",
        "",
        f"{result['n_runs']} runs, {result['n_seeds']} seeds. Intervals: "
        f"{a['confidence']:.0%} bootstrap over seeds ({a['bootstrap_resamples']} resamples); "
        f"tolerance {a['tolerance']:g} of dense; a claim needs at least {a['min_seeds']} "
        "seeds to be decided.",
        "",
    ]
    lines += [f"- {s}" for s in result["sentences"]]
    for claim in result["claims"]:
        lines += [
            "",
            f"## ({claim['key']}) {claim['statement']}",
            "",
            f"Effect size: {claim['effect']}.",
            "",
        ]
        lines += _detail_table(claim["details"])
    return "\n".join(lines) + "\n"
