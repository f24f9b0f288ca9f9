"""Statistics and verdicts on synthetic result tables with a planted, known answer."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pipeline.analysis.decide import FAILS, HOLDS, INCONCLUSIVE, decide, estimate, holm
from pipeline.analysis.levels import compression_axis
from pipeline.analysis.options import Analysis
from pipeline.analysis.safe_sparsity import safe_level, safe_sparsity
from pipeline.analysis.stats import Interval, seed_interval
from pipeline.analysis.tables import normalize, write_table
from pipeline.analysis.verdict import evaluate
from pipeline.cli import main
from tests.conftest import jitter

SPARSITIES = ("0.2", "0.4", "0.6", "0.8")
FRACTIONS = (1.0, 0.5, 0.25)  # easy -> hard
ANALYSIS = Analysis(bootstrap_resamples=2000)


def results_rows(
    score,
    *,
    seeds=5,
    tasks=("syn_a", "syn_b"),
    fractions=FRACTIONS,
    compressions=tuple(("magnitude", s) for s in SPARSITIES),
    modes=("sparse",),
    setting="data_fraction",
) -> pd.DataFrame:
    """A results table; a compressed run scores ``dense * score(method, mode, x, fraction,
    seed, task)`` where x is its nominal sparsity (or bits)."""
    rows = []
    for task in tasks:
        for fraction in fractions:
            for seed in range(seeds):
                dense = 0.8 + 0.01 * seed
                base = {
                    "study": "t",
                    "setting": setting,
                    "model": "m",
                    "task": task,
                    "difficulty": f"fraction-{fraction:g}",
                    "difficulty_axis": "fraction",
                    "difficulty_level": f"{fraction:g}",
                    "seed": seed,
                    "protocol_hash": "p0",
                    "protocol_json": "{}",
                    "metric": "accuracy",
                    "chance": 0.5,
                }
                rows.append(
                    {
                        **base,
                        "compression": "dense",
                        "method": "dense",
                        "level": "0",
                        "mode": "dense",
                        "value": dense,
                    }
                )
                for method, level in compressions:
                    x = compression_axis(method, level).x
                    for mode in modes:
                        factor = score(method, mode, x, fraction, seed, task)
                        rows.append(
                            {
                                **base,
                                "compression": f"{method}-{level}",
                                "method": method,
                                "level": level,
                                "mode": mode,
                                "value": dense * factor,
                            }
                        )
    return pd.DataFrame(rows)


def table(score, **kwargs) -> pd.DataFrame:
    return normalize(results_rows(score, **kwargs))


def drop_harder_faster(method, mode, x, fraction, seed, task):
    """Planted: score falls with sparsity, faster the less data (the hypothesis)."""
    return 1 - (0.05 + 0.4 * (1 - fraction)) * x + jitter(seed, x, fraction)


def flat(method, mode, x, fraction, seed, task):
    return 1.0 + jitter(seed, x, fraction)


def drop_easier_faster(method, mode, x, fraction, seed, task):
    return 1 - (0.05 + 0.4 * fraction) * x + jitter(seed, x, fraction)


def claims(frame: pd.DataFrame, analysis: Analysis = ANALYSIS) -> dict[str, object]:
    return {c.key: c for c in evaluate(frame, None, analysis)[0]}


# --- building blocks -------------------------------------------------------------------------


def test_seed_interval_brackets_the_mean_and_shrinks_with_more_seeds():
    rng = np.random.default_rng(0)
    few, many = rng.normal(1, 0.1, 4), rng.normal(1, 0.1, 64)
    a, b = seed_interval(few, 0.95), seed_interval(many, 0.95)
    assert a.low < a.mean < a.high and b.low < b.mean < b.high
    assert (b.high - b.low) < (a.high - a.low)
    assert seed_interval([2.0, 2.0, 2.0], 0.95) == Interval(2.0, 2.0, 2.0, 3)
    one = seed_interval([1.0], 0.95)
    assert one.n == 1 and np.isnan(one.low)


def test_the_seed_interval_covers_at_its_nominal_level_with_five_seeds():
    """A planted mean, 5 seeds with normal noise, 2,000 studies: the interval holds the truth
    95% of the time (binomial SE 0.5 points); the seed bootstrap it replaced did not."""
    from scipy.stats import bootstrap

    rng = np.random.default_rng(7)
    studies = rng.normal(0.8, 0.05, size=(2000, 5))
    held = [(iv.low <= 0.8 <= iv.high) for iv in (seed_interval(x, 0.95) for x in studies)]
    assert 0.935 <= np.mean(held) <= 0.965
    boot = bootstrap(
        (studies[:400],), np.mean, axis=-1, method="percentile", n_resamples=999, rng=rng
    ).confidence_interval
    assert np.mean((boot.low <= 0.8) & (boot.high >= 0.8)) < 0.9


def test_estimate_and_decisions_follow_the_replicates():
    rng = np.random.default_rng(0)
    effect = np.r_[0.5, rng.normal(0.5, 0.05, 999)]
    est = estimate(effect, 0.95, 3)
    assert est.low < 0.5 < est.high and est.lower > 0 and est.p == pytest.approx(0.001)
    # detectable effect: (z_.95 + z_.80) x SE, SE from the interval's half-width
    se = (est.high - est.low) / (2 * 1.959964)
    assert est.detectable == pytest.approx(2.486 * se, rel=1e-3)
    assert decide(est, 0.05, 0.01)[0] == HOLDS
    none = estimate(np.r_[0.0, rng.normal(-0.001, 0.01, 999)], 0.95, 3)
    verdict, reason = decide(none, 0.05, 0.05)
    assert verdict == FAILS and "margin" in reason
    wide = estimate(np.r_[0.15, rng.normal(0.15, 0.1, 999)], 0.95, 3)  # 0 and 2.5 SE in
    assert decide(wide, 0.05, 0.01)[0] == INCONCLUSIVE
    constant = estimate(np.r_[0.2, np.full(99, 0.2)], 0.95, 1, defined=False)
    assert not constant.defined and decide(constant, 0.05, 0.01)[0] == INCONCLUSIVE


def test_holm_steps_down_and_skips_missing_claims():
    adjusted = holm({"a": 0.01, "b": 0.04, "c": 0.03, "d": np.nan})
    assert adjusted["a"] == pytest.approx(0.03)  # 3 x 0.01
    assert adjusted["c"] == pytest.approx(0.06)  # 2 x 0.03
    assert adjusted["b"] == pytest.approx(0.06)  # max(1 x 0.04, 0.06): monotone
    assert np.isnan(adjusted["d"])


@pytest.mark.parametrize(
    ("method", "level", "kind", "structure", "x"),
    [
        ("magnitude", "0.6", "pruning", "unstructured", 0.6),
        ("magnitude_nm", "7of8", "pruning", "N:M, M=8", 0.125),
        ("magnitude_nm", "2of4", "pruning", "N:M, M=4", 0.5),
        ("rtn", "4bit", "quantization", "quantization", 4.0),
        ("dense", "0", "dense", "dense", 0.0),
    ],
)
def test_levels_mean_what_the_compression_registry_says(method, level, kind, structure, x):
    parsed = compression_axis(method, level)
    assert (parsed.kind, parsed.structure, parsed.x) == (kind, structure, pytest.approx(x))


def test_a_bad_level_names_the_label():
    with pytest.raises(ValueError, match="magnitude_nm-0.5"):
        compression_axis("magnitude_nm", "0.5")


def test_analysis_options_reject_unknown_keys_and_methods():
    assert Analysis.from_config({}) == Analysis()
    with pytest.raises(ValueError, match="confidenc"):
        Analysis.from_dict({"confidenc": 0.9})
    with pytest.raises(ValueError, match="analysis.methods: 'magnitud'"):
        Analysis.from_dict({"methods": ["magnitud"]})


# --- the claims ------------------------------------------------------------------------------


def _ratio(claim):
    return claim.by_normalization["ratio"].estimate


MEAN_X = np.mean([0.2, 0.4, 0.6, 0.8])


def test_planted_monotone_drop_steeper_when_harder_holds():
    result = claims(table(drop_harder_faster))
    a, b = result["a"], result["b"]
    assert a.verdict == HOLDS and b.verdict == HOLDS
    # (a): mean over curves of the pairwise trend, lower minus higher sparsity: on the grid
    # 0, 0.2, ..., 0.8 the mean pairwise distance is 0.4, so a slope s gives 0.4 s
    drop = np.mean([(0.05 + 0.4 * (1 - f)) * 0.4 for f in FRACTIONS])
    assert _ratio(a).value == pytest.approx(drop, abs=0.005) and _ratio(a).n_seeds == 5
    assert len(a.by_normalization["ratio"].details) == 6
    # (b): mean over pairs of levels of area(easier) - area(harder), area = mean over x
    pairs = [(1.0, 0.5), (1.0, 0.25), (0.5, 0.25)]
    gap = np.mean([0.4 * (e - h) * MEAN_X for e, h in pairs])
    assert _ratio(b).value == pytest.approx(gap, abs=0.005)
    chance = b.by_normalization["chance"].estimate
    assert chance.value > _ratio(b).value  # chance-corrected: the same drop is larger


def test_planted_flat_line_does_not_hold():
    result = claims(table(flat))
    assert result["a"].verdict == FAILS and abs(_ratio(result["a"]).value) < 0.002
    assert result["b"].verdict == FAILS


def test_planted_reverse_difficulty_ordering_does_not_hold():
    result = claims(table(drop_easier_faster))
    assert result["a"].verdict == HOLDS  # it still drops
    assert result["b"].verdict == FAILS and _ratio(result["b"]).value < 0


def test_a_curve_that_rises_with_sparsity_does_not_hold_at_any_grid_size():
    """The old test failed (a) only on a significant rise after Holm over every step, which
    no bootstrap p can reach past ~100 steps. The trend test is one test per claim: a
    rising curve does not hold on a coarse grid and on a fine one alike."""

    def rising(method, mode, x, fraction, seed, task):
        return 1 + 0.1 * x + jitter(seed, x, fraction)

    assert claims(table(rising))["a"].verdict == FAILS
    fine = tuple(("magnitude", f"{x:.2f}") for x in np.linspace(0.02, 0.9, 45))
    a = claims(table(rising, compressions=fine, tasks=("syn_a",), fractions=(1.0,)))["a"]
    assert a.verdict == FAILS and _ratio(a).value < 0


def test_too_few_seeds_are_inconclusive_whatever_the_effect():
    result = claims(table(drop_harder_faster, seeds=2))
    for key in ("a", "b"):
        assert result[key].verdict == INCONCLUSIVE
        assert "too few seeds (2 < 3)" in result[key].reason
    assert _ratio(result["a"]).value > 0.05  # the effect is still reported


def test_claims_without_their_rows_are_inconclusive_no_data():
    result = claims(table(drop_harder_faster))
    for key in ("c", "d", "e"):
        assert result[key].verdict == INCONCLUSIVE and "no data" in result[key].reason


def test_one_difficulty_level_cannot_order_difficulty():
    result = claims(table(drop_harder_faster, fractions=(1.0,)))
    assert result["a"].verdict == HOLDS
    assert result["b"].verdict == INCONCLUSIVE and "no data" in result["b"].reason


def test_a_curve_of_three_levels_cannot_test_a_trend():
    result = claims(table(drop_harder_faster, compressions=(("magnitude", "0.4"),) * 1))
    assert result["a"].verdict == INCONCLUSIVE and "at least 4 levels" in result["a"].reason


def _with_modes(s2d_deficit: float, freeze_deficit: float = 0.0):
    def score(method, mode, x, fraction, seed, task):
        if mode == "sparse_to_dense":
            return 1 - s2d_deficit * (1 - fraction) / 0.75 + jitter(seed, x, fraction)
        if mode == "dense_freeze":
            return 1 - freeze_deficit + jitter(seed, x, fraction)
        return drop_harder_faster(method, mode, x, fraction, seed, task)

    return score


MODES = ("sparse", "sparse_to_dense", "dense_freeze")


def test_sparse_to_dense_short_of_dense_on_hard_tasks_holds():
    c = claims(table(_with_modes(0.1), modes=MODES))["c"]
    assert c.verdict == HOLDS
    parts = c.by_normalization["ratio"].parts
    # deficit gap harder - easier over the pairs of fractions; freeze - s2d on the hardest
    gap = np.mean([0.1 * (e - h) / 0.75 for e, h in [(1.0, 0.5), (1.0, 0.25), (0.5, 0.25)]])
    assert parts[0]["mean"] == pytest.approx(gap, abs=0.003)
    # freeze - s2d on each pair's harder level: deficits 0.1 (1 - h) / 0.75 at h = .5, .25, .25
    assert parts[1]["mean"] == pytest.approx(np.mean([0.1 / 1.5, 0.1, 0.1]), abs=0.003)


def test_sparse_to_dense_that_recovers_dense_does_not_hold():
    c = claims(table(_with_modes(0.0), modes=MODES))["c"]
    assert c.verdict == FAILS and abs(_ratio(c).value) < 0.003


def test_sparse_to_dense_no_worse_than_freezing_does_not_hold():
    """The deficit grows with difficulty, but freezing loses as much: no knowledge story."""
    c = claims(table(_with_modes(0.1, freeze_deficit=0.1), modes=MODES))["c"]
    assert c.verdict != HOLDS


def _with_random(junk: float):
    """Random pruning falls 1.5x as fast as magnitude on every level; with ``junk`` > 0
    magnitude also costs the harder levels more (the knowledge in small weights)."""

    def score(method, mode, x, fraction, seed, task):
        slope = 0.05 + 0.4 * (1 - fraction)
        if method == "random":
            slope *= 1.5
        elif fraction < 1:
            slope += junk
        return 1 - slope * x + jitter(seed, x, fraction)

    return score


CONTROL = tuple(("magnitude", s) for s in SPARSITIES) + tuple(("random", s) for s in SPARSITIES)


def test_magnitude_hurting_the_harder_level_more_at_equal_damage_holds():
    d = claims(table(_with_random(0.3), compressions=CONTROL))["d"]
    assert d.verdict == HOLDS and _ratio(d).value > 0.05
    details = d.by_normalization["ratio"].details
    assert {r["arm"] for r in details if "arm" in r} == {"magnitude vs random, sparse"}
    assert all(r["shared_damage"] > 0.02 for r in details if "arm" in r)
    descriptive = [r for r in details if str(r.get("statistic", "")).startswith("magnitude -")]
    assert len(descriptive) == 1  # magnitude - random at equal sparsity, descriptive only


def test_magnitude_beating_random_equally_on_every_level_does_not_hold():
    """Magnitude keeps more than random everywhere (a long-known result), but in the same
    proportion on easier and harder levels: no interaction, so (d) does not hold while its
    descriptive line (magnitude - random) is positive."""
    d = claims(table(_with_random(0.0), compressions=CONTROL))["d"]
    assert d.verdict == FAILS and abs(_ratio(d).value) < 0.01
    descriptive = [
        r for r in d.by_normalization["ratio"].details
        if str(r.get("statistic", "")).startswith("magnitude -")
    ]  # fmt: skip
    assert descriptive[0]["mean"] > 0.05


def _with_quantization(ordered: bool):
    def score(method, mode, x, fraction, seed, task):
        if method != "rtn":
            return drop_harder_faster(method, mode, x, fraction, seed, task)
        if ordered:  # exactly pruning's curve at the sparsities of the same mean (0.5)
            return drop_harder_faster(
                method, mode, {8: 0.3, 4: 0.5, 2: 0.7}[x], fraction, seed, task
            )
        return 1 - (0.3 if x == 2 else 0.0) + jitter(seed, x, fraction)

    return score


QUANT = tuple(("magnitude", s) for s in SPARSITIES) + (
    ("rtn", "8bit"),
    ("rtn", "4bit"),
    ("rtn", "2bit"),
)


def test_quantization_that_ignores_difficulty_holds():
    e = claims(table(_with_quantization(False), compressions=QUANT))["e"]
    assert e.verdict == HOLDS
    detail = e.by_normalization["ratio"].details[0]
    assert detail["arm"] == "rtn/sparse vs magnitude" and detail["mean"] > 0.02
    assert "does not record the fraction of weights RTN sets to zero" in e.reason


def test_quantization_ordering_like_pruning_does_not_hold():
    e = claims(table(_with_quantization(True), compressions=QUANT))["e"]
    assert e.verdict == FAILS and _ratio(e).value == pytest.approx(0.0, abs=0.01)


def test_n_m_curves_join_the_pooled_claims():
    nm = tuple(("magnitude_nm", p) for p in ("3of4", "2of4", "1of4"))
    a = claims(table(drop_harder_faster, compressions=nm))["a"]
    assert a.verdict == HOLDS
    assert {d["structure"] for d in a.by_normalization["ratio"].details} == {"N:M, M=4"}


# --- safe sparsity ---------------------------------------------------------------------------


def test_safe_level_is_the_last_point_before_the_first_dip():
    assert safe_level([0, 0.2, 0.4, 0.6], [1, 0.995, 0.99, 0.9], 0.99) == 0.4
    assert safe_level([0, 0.2, 0.4, 0.6], [1, 0.98, 1, 1], 0.99) == 0.0  # stays = no return
    assert safe_level([0.6, 0, 0.4, 0.2], [1, 1, 1, 1], 0.99) == 0.6  # order-free


def test_safe_sparsity_is_higher_for_easier_levels():
    def score(method, mode, x, fraction, seed, task):
        limit = {1.0: 0.6, 0.5: 0.4, 0.25: 0.2}[fraction] + (0.2 if seed == 0 else 0.0)
        return 1.0 if x <= limit + 1e-9 else 0.9

    safe = safe_sparsity(table(score), ANALYSIS)
    got = safe[safe["task"] == "syn_a"].set_index("difficulty")
    # four seeds at the limit, one 0.2 above it
    assert got.loc["fraction-1", "safe_sparsity"] == pytest.approx(0.64)
    assert got.loc["fraction-0.5", "safe_sparsity"] == pytest.approx(0.44)
    assert got.loc["fraction-0.25", "safe_sparsity"] == pytest.approx(0.24)
    assert (got["ci_low"] <= got["safe_sparsity"]).all()
    assert (got["safe_sparsity"] <= got["ci_high"]).all()
    assert (got["n_seeds"] == 5).all() and (got["max_tested"] == 0.8).all()
    # the t interval of (0.8, 0.6, 0.6, 0.6, 0.6), inside the tested range [0, 0.8]
    half = 2.776445 * np.std([0.8, 0.6, 0.6, 0.6, 0.6], ddof=1) / np.sqrt(5)
    assert got.loc["fraction-1", "ci_high"] == pytest.approx(0.64 + half, abs=1e-5)
    assert (got["ci_low"] >= 0).all() and (got["ci_high"] <= got["max_tested"]).all()


def test_safe_sparsity_keeps_pre_training_seeds_apart_and_averages_within_them():
    """Three pre-training instances of one model share fine-tuning seeds 0-1: each run's
    curve is its own (no pooling of p0's and p1's points into one curve), and the interval
    runs over the pre-training seeds' means (n = 3)."""
    limits = {0: 0.6, 1: 0.4, 2: 0.2}  # per pre-training seed

    parts = []
    for pretrain, limit in limits.items():

        def score(method, mode, x, fraction, seed, task, limit=limit):
            return 1.0 if x <= limit + 1e-9 else 0.5

        rows = results_rows(score, seeds=2, tasks=("syn_a",), fractions=(1.0,))
        parts.append(rows.assign(pretrain_seed=pretrain))
    got = safe_sparsity(normalize(pd.concat(parts, ignore_index=True)), ANALYSIS)
    assert len(got) == 1
    row = got.iloc[0]
    assert row["safe_sparsity"] == pytest.approx(0.4) and row["n_seeds"] == 3
    half = 4.302653 * np.std([0.6, 0.4, 0.2], ddof=1) / np.sqrt(3)
    assert row["ci_high"] == pytest.approx(min(0.4 + half, 0.8), abs=1e-5)


def test_claim_b_prints_the_safe_sparsity_gap_beside_it_undecided():
    """(b)'s secondary: the easier level's safe sparsity minus the harder's, per ordered
    pair (here 0.6 - 0.4, 0.6 - 0.2, 0.4 - 0.2: mean 0.267), on both scales."""

    def planted(limits):
        def score(method, mode, x, fraction, seed, task):
            return (1.0 if x <= limits[fraction] + 1e-9 else 0.8) + jitter(seed, x, fraction) / 4

        return score

    b = claims(table(planted({1.0: 0.6, 0.5: 0.4, 0.25: 0.2})))["b"]
    for name in ("chance", "ratio"):
        [pooled, *settings] = b.by_normalization[name].as_dict()["secondary"]
        assert pooled["statistic"].startswith("safe sparsity, easier - harder")
        assert pooled["setting"] == "pooled" and "verdict" not in pooled
        assert pooled["mean"] == pytest.approx(0.8 / 3)
        assert [s["setting"] for s in settings] == ["data_fraction"]
    reversed_ = claims(table(planted({1.0: 0.2, 0.5: 0.4, 0.25: 0.6})))["b"]
    [pooled, _] = reversed_.by_normalization["chance"].as_dict()["secondary"]
    assert pooled["mean"] == pytest.approx(-0.8 / 3)


# --- the verbs -------------------------------------------------------------------------------


def test_verdict_verb_writes_markdown_and_json(tmp_path):
    normalized = tmp_path / "normalized.parquet"
    write_table(table(drop_harder_faster), normalized)
    md, js = tmp_path / "verdict.md", tmp_path / "verdict.json"
    code = main(
        [
            "verdict",
            "--table",
            str(normalized),
            "--study",
            "planted",
            "--analysis",
            json.dumps({"bootstrap_resamples": 500, "confidence": 0.9}),
            "--out-md",
            str(md),
            "--out-json",
            str(js),
        ]
    )
    assert code == 0
    result = json.loads(js.read_text())
    assert [c["verdict"] for c in result["claims"]] == [
        HOLDS,
        HOLDS,
        INCONCLUSIVE,
        INCONCLUSIVE,
        INCONCLUSIVE,
    ]
    assert result["analysis"]["confidence"] == 0.9 and result["n_seeds"] == 5
    assert result["claims"][2]["ratio"]["mean"] is None  # no data: null, strict JSON
    assert result["examples"] is False and result["excluded_levels"] == []
    json.loads(js.read_text(), parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    text = md.read_text()
    assert "(a) Performance falls as sparsity grows: **HOLDS**" in text
    assert "90% CI" in text and "# Verdict: study `planted`" in text
    assert "smallest detectable effect" in text and "chance-corrected scale (primary)" in text
    assert "seeds only (no per-example scores" in text
    # The summary comes first; the margin, its hash and the provenance are printed.
    assert text.index("## In short") < text.index("## Per setting") < text.index("## Details")
    assert f"analysis hash `{result['analysis']['hash']}`" in text
    assert text.rstrip().splitlines()[-1].startswith("- packages:")
    record = json.loads((tmp_path / "analysis_record.json").read_text())
    assert record["analysis_hash"] == result["analysis"]["hash"]


def test_safe_sparsity_verb_writes_typed_parquet_and_csv(tmp_path):
    normalized = tmp_path / "normalized.parquet"
    write_table(table(drop_harder_faster), normalized)
    out, csv = tmp_path / "safe.parquet", tmp_path / "safe.csv"
    assert (
        main(["safe-sparsity", "--table", str(normalized), "--out", str(out), "--csv", str(csv)])
        == 0
    )
    frame = pd.read_parquet(out)
    assert len(frame) == 6 and str(frame["n_seeds"].dtype) == "int64"
    assert len(pd.read_csv(csv)) == 6


def test_across_tasks_difficulty_is_measured_against_the_reference():
    """Setting 4: one level per task; hardness = (reference - dense) / reference."""
    references = {"syn_easy": 0.82, "syn_mid": 0.9, "syn_hard": 1.0}  # dense 0.8 + 0.01 seed
    slopes = {"syn_easy": 0.05, "syn_mid": 0.2, "syn_hard": 0.4}
    rows = []
    for task, reference in references.items():

        def score(method, mode, x, fraction, seed, task=task):
            return 1 - slopes[task] * x + jitter(seed, x, slopes[task])

        part = results_rows(score, tasks=(task,), fractions=(1.0,), setting="across_tasks")
        rows.append(
            part.assign(
                difficulty=f"task-{task}",
                difficulty_axis="task",
                difficulty_level=task,
                reference_score=reference,
            )
        )
    result = claims(normalize(pd.concat(rows, ignore_index=True)))
    b = result["b"]
    assert b.verdict == HOLDS and _ratio(b).value > 0
    details = b.by_normalization["ratio"].details
    assert {d["group"] for d in details} == {"across_tasks/m"}
    # Three pairs, each ordered by measured hardness (resampled), none disagreeing.
    assert len(details) == 3 and {d["order"] for d in details} == {"measured"}
    assert ("syn_easy", "syn_hard") in {(d["easier"], d["harder"]) for d in details}


def test_measured_hardness_reads_a_0_to_100_metric_on_its_own_scale():
    """chrF on sacrebleu's 0-100 scale: the same levels as accuracy, scaled by 100, are
    ordered alike, so the named order is not flagged as disagreeing (a headroom taken up to
    1 instead of 100 reversed it)."""

    def judged(scale: float, metric: str) -> list:
        rows = results_rows(drop_harder_faster, fractions=(0.1, 1.0), tasks=("syn_a",))
        rows.loc[rows["difficulty"] == "fraction-0.1", "value"] *= 0.5
        rows = rows.assign(value=rows["value"] * scale, metric=metric, chance=0.3 * scale)
        b = claims(normalize(rows))["b"]
        return [d for j in b.by_normalization.values() for d in j.details]

    for details in (judged(1.0, "accuracy"), judged(100.0, "chrf")):
        assert [(d["easier"], d["harder"]) for d in details] == [("fraction-1", "fraction-0.1")] * 2
        assert not any(d["disagrees"] for d in details)


def test_named_difficulty_levels_are_ordered_and_bad_ones_named():
    from pipeline.analysis.difficulty import hardness

    assert hardness("fraction", "0.1") > hardness("fraction", "1")
    assert hardness("share", "0.05") > hardness("share", "0.55")
    assert hardness("book", "closed") > hardness("book", "open")
    assert np.isnan(hardness("unknown_axis", "x"))
    with pytest.raises(ValueError, match="difficulty 'book-shut'"):
        hardness("book", "shut")


def test_summary_aggregates_each_curve_point_over_seeds(tmp_path):
    from pipeline.analysis.summary import summarize

    frame = table(drop_harder_faster)
    summary = summarize(frame, ANALYSIS)
    assert len(summary) == 2 * 3 * 5  # tasks x fractions x (dense + 4 sparsities)
    point = summary[
        (summary["task"] == "syn_a")
        & (summary["difficulty"] == "fraction-0.25")
        & (summary["x"] == 0.8)
    ].iloc[0]
    planted = [drop_harder_faster("magnitude", "sparse", 0.8, 0.25, s, "syn_a") for s in range(5)]
    assert point["normalized"] == pytest.approx(np.mean(planted))
    assert point["normalized_ci_low"] <= point["normalized"] <= point["normalized_ci_high"]
    assert point["n_seeds"] == 5 and point["value"] == pytest.approx(
        np.mean([(0.8 + 0.01 * s) * p for s, p in enumerate(planted)])
    )
    origin = summary[summary["x"] == 0.0]
    assert (origin["normalized"] == 1.0).all()
    assert (
        main(
            [
                "summarize",
                "--table",
                str(_written(frame, tmp_path)),
                "--out",
                str(tmp_path / "s.parquet"),
                "--csv",
                str(tmp_path / "s.csv"),
            ]
        )
        == 0
    )
    assert len(pd.read_parquet(tmp_path / "s.parquet")) == len(summary)


def _written(frame: pd.DataFrame, tmp_path) -> object:
    path = tmp_path / "normalized.parquet"
    write_table(frame, path)
    return path


def test_random_control_is_compared_with_the_method_it_copies():
    """claim (d) pairs the control with the method whose per-layer counts it copies; that
    pairing is the control's own declaration, so a config cannot mis-pair it."""
    assert Analysis.from_dict({}).matched_to == "magnitude"
    with pytest.raises(ValueError, match="analysis.random_control: 'magnitude' is not a matched"):
        Analysis.from_dict({"random_control": "magnitude"})
    with pytest.raises(ValueError, match="unknown keys.*matched_to"):
        Analysis.from_dict({"matched_to": "magnitude_nm"})


def test_a_level_without_headroom_is_listed_once_per_pre_training_seed_that_has_it():
    """With replicated pre-training, a replicated model's level at chance is listed at each
    pre-training seed, named; a model pre-trained once enters every seed's study but is
    listed once, with no seed."""
    from pipeline.analysis.verdict import markdown, verdict

    parts = []
    for pretrain in (0, 1, 2):
        for model in ("m", "z"):
            rows = results_rows(drop_harder_faster, seeds=2, tasks=("syn_a",))
            parts.append(rows.assign(model=model, pretrain_seed=pretrain))
    once = results_rows(drop_harder_faster, seeds=2, tasks=("syn_a",))
    parts.append(once.assign(model="u", pretrain_seed=None))
    frame = pd.concat(parts, ignore_index=True)
    frame.loc[frame["model"].isin(["z", "u"]), "value"] = 0.5  # at chance
    result = verdict(normalize(frame), ANALYSIS, "t")
    listed = [(e["model"], e["difficulty"], e["pretrain_seed"]) for e in result["excluded_levels"]]
    fractions = sorted({d for _, d, _ in listed})
    assert sorted(listed, key=str) == sorted(
        [("z", d, s) for d in fractions for s in (0, 1, 2)] + [("u", d, None) for d in fractions],
        key=str,
    )
    assert len(fractions) == len(FRACTIONS)
    page = markdown(result)
    assert "(fine_tuned, pre-training seed 2): dense 0.500" in page
    assert f"data_fraction/u/syn_a/{fractions[0]} (fine_tuned): dense 0.500" in page
