"""Regression tests for the counting and verdict bugs measured in issue #13."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.analysis.decide import FAILS, HOLDS, INCONCLUSIVE, decide, estimate
from pipeline.analysis.options import Analysis
from pipeline.analysis.tables import normalize
from pipeline.analysis.verdict import evaluate, verdict
from tests.conftest import jitter, run_identity

ANALYSIS = Analysis(bootstrap_resamples=500)
SPARSITIES = ("0.2", "0.4", "0.6", "0.8")


def rows(
    setting: str,
    difficulty: str,
    score,
    *,
    task: str = "syn_factcheck",
    seeds=(0, 1, 2),
    modes=("sparse",),
    dense: float = 0.8,
    chance: float = 0.5,
    methods=("magnitude",),
    reference: float | None = None,
) -> list[dict]:
    out = []
    for seed in seeds:
        base = run_identity(
            setting, task, difficulty, seed, chance=chance, n_eval=600, reference_score=reference
        )
        for mode in modes:
            dense_mode = "zero_shot" if mode == "zero_shot" else "dense"
            if not any(r["mode"] == dense_mode and r["seed"] == seed for r in out):
                out.append(
                    {
                        **base,
                        "compression": "dense",
                        "method": "dense",
                        "level": "0",
                        "mode": dense_mode,
                        "value": dense,
                    }  # fmt: skip
                )
            for method in methods:
                for s in SPARSITIES:
                    value = chance + (dense - chance) * score(method, mode, float(s), seed)
                    out.append(
                        {
                            **base,
                            "compression": f"{method}-{s}",
                            "method": method,
                            "level": s,
                            "mode": mode,
                            "value": value,
                        }  # fmt: skip
                    )
    return out


def test_languages_count_seeds_not_modes_times_seeds():
    """Claim (b) for languages reported n_seeds = 4 (two modes x two seeds)."""
    table = []
    for group, slope in (("majority", 0.1), ("minority", 0.5)):

        def score(method, mode, x, seed, slope=slope):
            return 1 - slope * x + jitter(seed, x, scale=0.004)

        table += rows("languages", f"lang-{group}", score, task="syn_translation",
                      seeds=(0, 1), modes=("sparse",))  # fmt: skip
        table += rows("languages", f"lang-{group}", score, task="syn_translation",
                      seeds=(0,), modes=("zero_shot",))  # fmt: skip
    b = {c.key: c for c in evaluate(normalize(pd.DataFrame(table)), None, ANALYSIS)[0]}["b"]
    assert b.by_normalization["ratio"].estimate.n_seeds == 2
    assert {d["n_seeds"] for d in b.by_normalization["ratio"].details} == {1, 2}


def test_the_across_task_copy_of_a_curve_counts_once():
    """The across-task factcheck curve is the data-fraction 100% curve: counted twice in (a)."""

    def drop(method, mode, x, seed):
        return 1 - 0.3 * x + jitter(seed, x, scale=0.004)

    table = rows("data_fraction", "fraction-1", drop) + rows(
        "across_tasks", "task-syn_factcheck", drop, reference=0.9
    )
    a = {c.key: c for c in evaluate(normalize(pd.DataFrame(table)), None, ANALYSIS)[0]}["a"]
    assert len(a.by_normalization["ratio"].details) == 1


def test_a_level_without_headroom_is_excluded_and_listed():
    """At 25% data both masks collapsed to the chance predictor: (d) read 0.000 as
    'equivalent'. A level whose dense score is not 5 SE above chance leaves the claims."""

    def same(method, mode, x, seed):
        return 0.0  # at chance, for magnitude and random alike

    table = rows(
        "data_fraction", "fraction-0.25", same, dense=0.51, methods=("magnitude", "random")
    )
    result = verdict(normalize(pd.DataFrame(table)), ANALYSIS, "t")
    assert [e["difficulty"] for e in result["excluded_levels"]] == ["fraction-0.25"]
    excluded = result["excluded_levels"][0]
    # binomial SE of a 0.51 accuracy on 600 examples
    assert excluded["se"] == pytest.approx(np.sqrt(0.51 * 0.49 / 600))
    d = result["claims"][3]
    assert d["verdict"] == INCONCLUSIVE and "no data" in d["reason"]


def test_chance_corrected_score_has_no_floor():
    """Ratio: a model at chance keeps chance/dense (0.955 at factcheck 25%); corrected: 0."""
    table = pd.DataFrame(rows("data_fraction", "fraction-1", lambda *a: 0.0, dense=0.524,
                              chance=0.5, seeds=(0,)))  # fmt: skip
    out = normalize(table)
    compressed = out[out["compression"] != "dense"]
    assert compressed["normalized"].iloc[0] == pytest.approx(0.5 / 0.524)
    assert compressed["normalized_chance"].iloc[0] == pytest.approx(0.0, abs=1e-12)
    assert (out.loc[out["compression"] == "dense", "normalized_chance"] == 1.0).all()


def test_an_interval_touching_zero_is_not_a_failure():
    """The old rule read [-0.200, +0.000] as 'does not hold'. Now only an upper bound below
    the resolvable margin says so; an interval that still admits resolvable effects is
    inconclusive."""
    reps = np.r_[0.05, np.linspace(-0.02, 0.3, 999)]
    est = estimate(reps, 0.95, 3)
    assert est.low < 0 < est.high
    assert decide(est, 0.05, 0.01)[0] == INCONCLUSIVE
    assert (
        decide(estimate(np.r_[0.2, np.linspace(0.01, 0.4, 999)], 0.95, 3), 0.05, 0.01)[0] == HOLDS
    )


def test_a_wide_interval_around_a_small_estimate_is_inconclusive_never_absent():
    """The old margin grew with the standard error (2.49 SE), so an estimate of 0.1 with SE
    0.2 'did not hold'. Now the margin is fixed: such an interval is inconclusive, and the
    reason says what would decide it."""
    wide = np.r_[0.1, np.random.default_rng(0).normal(0.1, 0.2, 1999)]
    est = estimate(wide, 0.95, 3)
    verdict_, reason = decide(est, 0.05, 0.05)
    assert verdict_ == INCONCLUSIVE
    assert f"detectable effect {est.detectable:.3f}" in reason and "the seeds or items" in reason
    factor = (est.detectable / 0.05) ** 2  # about 250x: SE 0.2 -> 0.02
    assert f"about {factor:.1f}x" in reason
    narrow = np.r_[0.01, np.random.default_rng(1).normal(0.01, 0.01, 1999)]
    assert decide(estimate(narrow, 0.95, 3), 0.05, 0.05)[0] == FAILS
    # The same narrow interval against a margin below it: the effect may matter.
    assert decide(estimate(narrow, 0.95, 3), 0.05, 0.02)[0] == INCONCLUSIVE


def test_min_seeds_does_not_apply_to_deterministic_cells_but_to_fine_tuned_ones():
    def drop(method, mode, x, seed):
        return 1 - 0.3 * x + jitter(seed, x, scale=0.004)

    fine_tuned = rows("data_fraction", "fraction-1", drop, seeds=(0, 1))
    a = {c.key: c for c in evaluate(normalize(pd.DataFrame(fine_tuned)), None, ANALYSIS)[0]}["a"]
    assert a.verdict == INCONCLUSIVE and "too few seeds (2 < 3)" in a.reason


def test_unequal_end_points_alone_make_no_lmc_barrier():
    """The old barrier (max minus the mean of the ends) read a straight path between a
    good and a bad end point as a barrier of half their difference."""
    from pipeline.lmc import barrier

    alphas = [0.0, 0.25, 0.5, 0.75, 1.0]
    straight = [0.4, 0.5, 0.6, 0.7, 0.8]
    assert barrier(alphas, straight, higher_is_worse=True) == pytest.approx(0.0, abs=1e-12)
    assert barrier(alphas, straight[::-1], higher_is_worse=False) == pytest.approx(0.0, abs=1e-12)
    bump = [0.4, 0.6, 0.8, 0.75, 0.8]  # 0.2 above the line at alpha 0.5
    assert barrier(alphas, bump, higher_is_worse=True) == pytest.approx(0.2)


def test_lmc_barriers_get_an_interval_over_seeds():
    from pipeline.analysis.lmc import barrier_summary

    alphas = np.linspace(0, 1, 5)
    rows = []
    for seed, height in enumerate((0.1, 0.2, 0.3)):
        loss = 0.5 + height * np.sin(np.pi * alphas)
        rows += [
            {
                "model": "m",
                "task": "t",
                "difficulty": "fraction-1",
                "compression": "magnitude-0.5",
                "seed": seed,
                "alpha": a,
                "loss": v,
                "value": 0.8,
            }  # fmt: skip
            for a, v in zip(alphas, loss, strict=True)
        ]
    summary = barrier_summary(pd.DataFrame(rows), ANALYSIS).iloc[0]
    assert summary["loss_barrier"] == pytest.approx(0.2) and summary["n_seeds"] == 3
    assert summary["loss_barrier_low"] < 0.2 < summary["loss_barrier_high"]
    assert summary["metric_barrier"] == 0.0


def test_quantization_arms_are_judged_separately_on_the_pruning_groups():
    """(e) with the two quantization arms of the other half of #13: post-training RTN of the
    dense fine-tuned model (mode ptq) and quantization-aware fine-tuning (mode qat)."""
    table = []
    for fraction, slope in (("1", 0.1), ("0.25", 0.5)):

        def prune(method, mode, x, seed, slope=slope):
            return 1 - slope * x + jitter(seed, x, scale=0.004)

        part = rows("data_fraction", f"fraction-{fraction}", prune)
        for row in [r for r in part if r["compression"] == "magnitude-0.2"]:
            for mode, drops in (("ptq", (0.0, 0.05, 0.3)), ("qat", (0.0, 0.02, 0.1))):
                for bits, drop in zip(("8bit", "4bit", "3bit"), drops, strict=True):
                    value = 0.5 + 0.3 * (1 - drop + jitter(row["seed"], len(bits), scale=0.004))
                    part.append({**row, "compression": f"rtn-{bits}", "method": "rtn",
                                 "level": bits, "mode": mode, "value": value})  # fmt: skip
        table += part
    e = {c.key: c for c in evaluate(normalize(pd.DataFrame(table)), None, ANALYSIS)[0]}["e"]
    arms = {d["arm"] for d in e.by_normalization["ratio"].details}
    assert arms == {"rtn/ptq vs magnitude", "rtn/qat vs magnitude"}
    assert e.verdict == HOLDS


def test_the_chance_corrected_scale_decides_and_the_ratio_is_said_beside_it():
    """Issue #13: recomputed chance-corrected, claim (b) flipped from 'does not hold' to
    'holds'. The ratio's floor (chance / dense) differs between tasks, so the
    chance-corrected scale decides; a ratio that disagrees is named in the reason."""
    from pipeline.analysis.claims import Judgement, combine
    from pipeline.analysis.decide import UNDEFINED, Estimate

    some = Estimate(0.1, 0.05, 0.15, 0.06, 0.14, 0.001, 0.05, 3)
    ratio = Judgement(some, FAILS, "effect below the margin")
    chance = Judgement(some, HOLDS, "effect above 0")
    verdict_, reason = combine({"ratio": ratio, "chance": chance})
    assert verdict_ == HOLDS
    assert "effect above 0" in reason and "on the ratio scale: does not hold" in reason
    # Without a chance level the ratio decides, and says so.
    missing = Judgement(UNDEFINED, INCONCLUSIVE, "no interval")
    verdict_, reason = combine({"ratio": ratio, "chance": missing})
    assert verdict_ == FAILS and reason.startswith("ratio scale (no chance level)")


def test_a_level_at_chance_with_zero_se_has_no_headroom():
    """Dense = chance = 0 gives a binomial SE of 0, so 'chance + 5 SE' is chance itself: the
    level must still be excluded, not pass the gate at chance."""
    table = rows("data_fraction", "fraction-0.25", lambda *a: 0.0, dense=0.0, chance=0.0)
    result = verdict(normalize(pd.DataFrame(table)), ANALYSIS, "t")
    excluded = [e for e in result["excluded_levels"] if e["difficulty"] == "fraction-0.25"]
    assert excluded and excluded[0]["se"] == 0.0
