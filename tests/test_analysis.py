"""Statistics and verdicts on synthetic result tables with a planted, known answer."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pipeline.__main__ import main
from pipeline.analysis.claims import judge
from pipeline.analysis.levels import parse_level
from pipeline.analysis.options import Analysis
from pipeline.analysis.safe_sparsity import safe_level, safe_sparsity
from pipeline.analysis.stats import (
    FAILS,
    HOLDS,
    UNDECIDED,
    Interval,
    decide_difference,
    decide_one_sided,
    rank_correlation,
    seed_interval,
)
from pipeline.analysis.tables import normalize, write_table

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
                    x = parse_level(method, level).x
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


def jitter(seed: int, x: float, fraction: float) -> float:
    """Small deterministic noise, different per seed, so intervals are not degenerate."""
    return 0.002 * np.sin(7 * seed + 13 * x + 29 * fraction)


def drop_harder_faster(method, mode, x, fraction, seed, task):
    """Planted: score falls with sparsity, faster the less data (the hypothesis)."""
    return 1 - (0.05 + 0.4 * (1 - fraction)) * x + jitter(seed, x, fraction)


def flat(method, mode, x, fraction, seed, task):
    return 1.0


def drop_easier_faster(method, mode, x, fraction, seed, task):
    return 1 - (0.05 + 0.4 * fraction) * x + jitter(seed, x, fraction)


def claims(frame: pd.DataFrame, analysis: Analysis = ANALYSIS) -> dict[str, object]:
    return {c.key: c for c in judge(frame, analysis)}


# --- building blocks -------------------------------------------------------------------------


def test_rank_correlation_is_zero_on_a_flat_curve_and_signed_otherwise():
    assert rank_correlation([0, 1, 2], [1, 1, 1]) == 0.0
    assert rank_correlation([0, 1, 2], [3, 2, 1]) == -1.0
    assert rank_correlation([0, 1, 2, 3], [1, 3, 2, 4]) == pytest.approx(0.8)


def test_seed_interval_brackets_the_mean_and_shrinks_with_more_seeds():
    rng = np.random.default_rng(0)
    few, many = rng.normal(1, 0.1, 4), rng.normal(1, 0.1, 64)
    a, b = seed_interval(few, 0.95, 2000), seed_interval(many, 0.95, 2000)
    assert a.low < a.mean < a.high and b.low < b.mean < b.high
    assert (b.high - b.low) < (a.high - a.low)
    assert seed_interval([2.0, 2.0, 2.0], 0.95, 2000) == Interval(2.0, 2.0, 2.0, 3)
    one = seed_interval([1.0], 0.95, 2000)
    assert one.n == 1 and np.isnan(one.low)


def test_decisions_follow_the_interval():
    iv = Interval(-0.5, -0.6, -0.4, 5)
    assert decide_one_sided(iv, 3, 0.0, "below")[0] == HOLDS
    assert decide_one_sided(iv, 3, 0.0, "above")[0] == FAILS
    assert decide_one_sided(Interval(0, -0.1, 0.1, 5), 3, 0.0, "below")[0] == UNDECIDED
    assert decide_one_sided(iv, 6, 0.0, "below") == (UNDECIDED, "too few seeds (5 < 6)")
    assert decide_difference(Interval(0.1, 0.05, 0.2, 5), 3, 0.01)[0] == HOLDS
    assert decide_difference(Interval(0.0, -0.005, 0.004, 5), 3, 0.01)[0] == FAILS
    assert decide_difference(Interval(0.0, -0.05, 0.004, 5), 3, 0.01)[0] == UNDECIDED


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
    parsed = parse_level(method, level)
    assert (parsed.kind, parsed.structure, parsed.x) == (kind, structure, pytest.approx(x))


def test_a_bad_level_names_the_label():
    with pytest.raises(ValueError, match="magnitude_nm-0.5"):
        parse_level("magnitude_nm", "0.5")


def test_analysis_options_reject_unknown_keys_and_methods():
    assert Analysis.from_config({}) == Analysis()
    with pytest.raises(ValueError, match="confidenc"):
        Analysis.from_dict({"confidenc": 0.9})
    with pytest.raises(ValueError, match="analysis.methods: 'magnitud'"):
        Analysis.from_dict({"methods": ["magnitud"]})


# --- the claims ------------------------------------------------------------------------------


def test_planted_monotone_drop_steeper_when_harder_holds():
    result = claims(table(drop_harder_faster))
    a, b = result["a"], result["b"]
    assert a.verdict == HOLDS and a.interval.high < 0 and a.interval.n == 5
    assert a.interval.mean == pytest.approx(-1.0)
    assert len(a.details) == 6 and {d["verdict"] for d in a.details} == {HOLDS}
    assert b.verdict == HOLDS and b.interval.mean == pytest.approx(-1.0)
    # The area gap (easiest - hardest) is what the planted slopes give: 0.3 * mean(x) over
    # the curve's compressed points, within the jitter.
    gap = 0.4 * (1.0 - 0.25) * np.mean([0.2, 0.4, 0.6, 0.8])
    assert b.details[0]["area_gap_easiest_minus_hardest"] == pytest.approx(gap, abs=0.005)


def test_planted_flat_line_does_not_hold():
    result = claims(table(flat))
    assert result["a"].verdict == FAILS and result["a"].interval.mean == 0.0
    assert result["b"].verdict == FAILS


def test_planted_reverse_difficulty_ordering_does_not_hold():
    result = claims(table(drop_easier_faster))
    assert result["a"].verdict == HOLDS  # it still drops
    assert result["b"].verdict == FAILS and result["b"].interval.mean == pytest.approx(1.0)


def test_too_few_seeds_are_undecided_whatever_the_effect():
    result = claims(table(drop_harder_faster, seeds=2))
    for key in ("a", "b"):
        assert result[key].verdict == UNDECIDED
        assert result[key].reason == "too few seeds (2 < 3)"
    assert result["a"].interval.mean == pytest.approx(-1.0)  # the effect is still reported


def test_claims_without_their_rows_are_undecided_no_data():
    result = claims(table(drop_harder_faster))
    for key in ("c", "d", "e"):
        assert result[key].verdict == UNDECIDED and result[key].reason.startswith("no data")


def test_one_difficulty_level_cannot_order_difficulty():
    result = claims(table(drop_harder_faster, fractions=(1.0,)))
    assert result["a"].verdict == HOLDS
    assert result["b"].verdict == UNDECIDED and result["b"].reason.startswith("no data")


def _with_modes(s2d_deficit: float):
    def score(method, mode, x, fraction, seed, task):
        if mode == "sparse_to_dense":
            return 1 - s2d_deficit * (1 - fraction) / 0.75 + jitter(seed, x, fraction)
        return drop_harder_faster(method, mode, x, fraction, seed, task)

    return score


def test_sparse_to_dense_short_of_dense_on_hard_tasks_holds():
    result = claims(table(_with_modes(0.1), modes=("sparse", "sparse_to_dense")))
    c = result["c"]
    assert c.verdict == HOLDS and c.interval.mean == pytest.approx(0.1, abs=0.003)
    assert {d["difficulty"] for d in c.details} == {"fraction-0.25"}  # the hardest level


def test_sparse_to_dense_that_recovers_dense_does_not_hold():
    c = claims(table(_with_modes(0.0), modes=("sparse", "sparse_to_dense")))["c"]
    assert c.verdict == FAILS and abs(c.interval.mean) < 0.003


def _with_random(random_penalty: float):
    def score(method, mode, x, fraction, seed, task):
        base = drop_harder_faster(method, mode, x, fraction, seed, task)
        return base - random_penalty * x if method == "random" else base

    return score


CONTROL = tuple(("magnitude", s) for s in SPARSITIES) + tuple(("random", s) for s in SPARSITIES)


def test_random_control_worse_than_magnitude_differs():
    d = claims(table(_with_random(0.3), compressions=CONTROL))["d"]
    assert d.verdict == HOLDS
    # normalized(magnitude) - normalized(random) = 0.3 x, averaged over the sparsities
    assert d.interval.mean == pytest.approx(0.3 * np.mean([0.2, 0.4, 0.6, 0.8]))


def test_random_control_equal_to_magnitude_does_not_differ():
    d = claims(table(_with_random(0.0), compressions=CONTROL))["d"]
    assert d.verdict == FAILS and d.interval.mean == pytest.approx(0.0)


def _with_quantization(ordered: bool):
    def score(method, mode, x, fraction, seed, task):
        if method != "rtn":
            return drop_harder_faster(method, mode, x, fraction, seed, task)
        collapse = 0.3 if x == 2 else 0.0
        return 1 - collapse * ((1.5 - fraction) if ordered else 1.0)

    return score


QUANT = tuple(("magnitude", s) for s in SPARSITIES) + (
    ("rtn", "8bit"),
    ("rtn", "4bit"),
    ("rtn", "2bit"),
)


def test_quantization_that_ignores_difficulty_holds():
    e = claims(table(_with_quantization(False), compressions=QUANT))["e"]
    assert e.verdict == HOLDS and e.interval.mean == pytest.approx(1.0)
    assert e.details[0]["rho_quantization"] == 0.0 and e.details[0]["rho_pruning"] == -1.0


def test_quantization_ordering_like_pruning_does_not_hold():
    e = claims(table(_with_quantization(True), compressions=QUANT))["e"]
    assert e.verdict == FAILS and e.interval.mean == pytest.approx(0.0)


def test_n_m_curves_join_the_pooled_claims():
    nm = tuple(("magnitude_nm", p) for p in ("3of4", "2of4", "1of4"))
    a = claims(table(drop_harder_faster, compressions=nm))["a"]
    assert a.verdict == HOLDS and {d["structure"] for d in a.details} == {"N:M, M=4"}


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
        UNDECIDED,
        UNDECIDED,
        UNDECIDED,
    ]
    assert result["analysis"]["confidence"] == 0.9 and result["n_seeds"] == 5
    assert result["claims"][2]["mean"] is None  # no data: null, and the file is strict JSON
    json.loads(js.read_text(), parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    text = md.read_text()
    assert "(a) Performance falls monotonically as sparsity grows: **HOLDS**" in text
    assert "90% CI" in text and "# Verdict: study `planted`" in text


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
    assert b.verdict == HOLDS and b.interval.mean == pytest.approx(-1.0)
    assert [d["order_group"] for d in b.details] == ["across_tasks/m"]
    assert b.details[0]["n_levels"] == 3


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
