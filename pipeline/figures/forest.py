"""Forest plot of the verdict: one panel per claim, each setting's estimate with its
interval, the pooled estimate below them, and the margin band (effects too small to
matter), on the chance-corrected scale that decides."""

from __future__ import annotations

from typing import Any

import numpy as np

from pipeline.analysis.options import Analysis
from pipeline.figures.common import notice, pyplot
from pipeline.figures.planned import planned_rows
from pipeline.study import Study

NAME = "forest_claims"
TABLE = "verdict"
CAPTION = (
    "The verdict's claims as a forest plot (chance-corrected scale). Each panel is one "
    "claim: every setting's estimate with its confidence interval, and the pooled estimate "
    "(diamond) on which the claim is decided. The shaded band runs from 0 to the margin "
    "fixed before the data: an interval inside it means the effect is too small to matter "
    "(does not hold), an interval above 0 means it holds, anything else is inconclusive."
)
SETTING_LABELS = {
    "data_fraction": "data fraction",
    "languages": "minority vs majority languages",
    "book": "closed vs open book",
    "across_tasks": "across tasks",
    "fact_recall": "rare vs frequent facts",
}
COLORS = {"holds": "#1b7837", "does not hold": "#b2182b", "inconclusive": "#636363"}


def label(setting: str) -> str:
    """A setting's name as a reader says it."""
    return SETTING_LABELS.get(setting, setting.replace("_", " "))


def data(verdict: dict[str, Any], analysis: Analysis) -> Any:
    """One row per (claim, setting) and per claim's pooled estimate: mean, interval,
    verdict; rows without an interval are kept with NaN bounds (drawn as points)."""
    import pandas as pd

    rows = []
    for claim in verdict.get("claims", []):
        primary = claim[claim.get("primary", "chance")]
        entries = [(s["setting"], s, False) for s in primary.get("settings", [])]
        entries.append(("pooled", {**primary, "verdict": claim["verdict"]}, True))
        for setting, d, pooled in entries:
            if d.get("mean") is None:
                continue
            rows.append(
                {
                    "claim": claim["key"],
                    "statement": claim["statement"],
                    "setting": setting,
                    "label": "pooled" if pooled else label(setting),
                    "pooled": pooled,
                    "mean": d["mean"],
                    "low": np.nan if d.get("ci_low") is None else d["ci_low"],
                    "high": np.nan if d.get("ci_high") is None else d["ci_high"],
                    "verdict": d["verdict"],
                    "margin": primary.get("margin"),
                }
            )
    return pd.DataFrame(
        rows,
        columns=["claim", "statement", "setting", "label", "pooled", "mean", "low", "high",
                 "verdict", "margin"],
    )  # fmt: skip


def draw(verdict: dict[str, Any], analysis: Analysis) -> Any:
    import textwrap

    plt = pyplot()
    frame = data(verdict, analysis)
    if frame.empty:  # e.g. a one-seed quick look: every claim says why, none has a number
        return notice(
            "No claim has an estimate to plot",
            [f"({c['key']}) {c['verdict']}: {c['reason']}"[:110] for c in verdict["claims"]],
        )
    claims = list(dict.fromkeys(frame["claim"]))
    cols = 2
    rows = int(np.ceil(len(claims) / cols))
    heights = [max(frame[frame["claim"] == c].shape[0] for c in claims) * 0.35 + 1.2] * rows
    fig, axes = plt.subplots(rows, cols, figsize=(11, sum(heights)), squeeze=False)
    margin = analysis.margin["chance"]
    for ax, key in zip(axes.flat, claims, strict=False):
        sub = frame[frame["claim"] == key].reset_index(drop=True)
        y = np.arange(len(sub))[::-1]
        ax.axvspan(0, margin, color="#fee08b", alpha=0.6, lw=0)
        ax.axvline(0, color="black", lw=0.8)
        for yi, row in zip(y, sub.itertuples(), strict=True):
            color = COLORS.get(row.verdict, "black")
            if np.isfinite(row.low) and np.isfinite(row.high):
                ax.plot([row.low, row.high], [yi, yi], color=color, lw=2 if row.pooled else 1.2)
            ax.plot(row.mean, yi, marker="D" if row.pooled else "o", ms=8 if row.pooled else 5,
                    color=color, ls="none")  # fmt: skip
        ax.set_yticks(y, [f"{r.label}: {r.verdict}" for r in sub.itertuples()], fontsize=8)
        title = f"({key}) {sub['statement'].iloc[0]}"
        ax.set_title("\n".join(textwrap.wrap(title, 60)), fontsize=9)
        ax.set_xlabel("effect, chance-corrected (share of headroom above chance)", fontsize=8)
        ax.set_ylim(-0.8, len(sub) - 0.2)
    for ax in list(axes.flat)[len(claims) :]:
        ax.axis("off")
        ax.text(
            0.02,
            0.5,
            f"shaded: 0 to the margin {margin:g}\n(smaller effects do not matter)\n"
            f"lines: {analysis.confidence:.0%} intervals; diamond: pooled\n"
            "green holds · red does not hold · grey inconclusive",
            fontsize=9,
            va="center",
        )
    fig.suptitle("What the study says, claim by claim", fontsize=11)
    fig.tight_layout()
    return fig


def rows(study: Study) -> Any:
    """Every planned run: every study has a verdict, and every run feeds it."""
    return planned_rows(study)
