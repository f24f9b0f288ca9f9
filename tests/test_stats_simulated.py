"""The claims' statistics on simulated studies with a planted truth (no training).

For every claim there is an effect design (``Effects()``: all five effects planted) and a
null design (``Effects.null()``: none). 200 studies of each are drawn
(:mod:`pipeline.analysis.simulate`: binary outcomes of 400 paired evaluation examples per
level, 3 seeds, seed-level noise) and judged by the real engine (stage-1 example resampling,
stage-2 seed resampling, claims, Holm, both normalizations). Checked per claim:

- coverage: the nominal 95% interval holds the planted truth (the statistic on the
  noise-free table) in at least 90% of the studies, each normalization, both designs;
- power: the claim "holds" on at least 80% of the effect studies;
- size: it "holds" on at most 10% of the null studies;
- mutation: with the claim's statistic replaced by a constant (0: no effect ever, 1: an
  effect always) the power or the size check fails, so these checks can catch a broken
  statistic.

Tests use 199 bootstrap replicates instead of the default 2000 (enough for a 95% percentile
interval's coverage to within a few points; docs/statistics.md) so that the whole module
takes about 30 s of CPU (one shared stack of 2 x 200 studies; the mutation checks rejudge it).
"""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.analysis import claims as claims_module
from pipeline.analysis.claims import CLAIMS, judge_blocks
from pipeline.analysis.decide import HOLDS
from pipeline.analysis.options import Analysis
from pipeline.analysis.points import Points, build_points, layout, stack
from pipeline.analysis.resample import NORMALIZATIONS, run_index, run_replicates
from pipeline.analysis.simulate import Effects, draw, skeleton, true_accuracy
from pipeline.analysis.tables import normalize
from pipeline.analysis.weighted import Examples

STUDIES = 200
ANALYSIS = Analysis(bootstrap_resamples=199, min_seeds=3)
KEYS = list(CLAIMS)


def _frame(design, values):
    """The normalized table of one study, rows in the order of ``normalize``'s output."""
    frame = normalize(design.assign(value=values, _design=np.arange(len(design))))
    return frame.reset_index(drop=True).assign(_run=np.arange(len(frame)))


def simulated(effects: Effects, n: int, seed: int = 0):
    """(the points of ``n`` studies of one design, stacked; the truth's claims)."""
    rng = np.random.default_rng(seed)
    design = skeleton()
    accuracy = true_accuracy(design, effects)
    truth_frame = _frame(design, accuracy)
    shape = layout(truth_frame)
    order = truth_frame["_design"].to_numpy()
    index = run_index(truth_frame)
    dense = index.dense
    chance = truth_frame["chance"].to_numpy()
    no_examples = run_replicates(truth_frame, None, ANALYSIS.bootstrap_resamples)
    truth = judge_blocks(build_points(truth_frame, no_examples, shape=shape), ANALYSIS)[0]
    blocks = []
    for _ in range(n):
        values, correct = draw(rng, design, accuracy)
        v = values[order]
        frame = truth_frame.assign(
            value=v,
            normalized=v / v[dense],
            normalized_chance=(v - chance) / (v[dense] - chance),
        )
        ids = np.arange(correct.shape[1])
        nan = np.full(len(ids), np.nan)
        per_run = [(ids, Examples(correct[i], nan, nan, [])) for i in order]
        rep = run_replicates(
            frame, None, ANALYSIS.bootstrap_resamples, per_run=per_run, index=index
        )
        blocks.append(build_points(frame, rep, shape=shape))
    return stack(blocks), truth


def first(points: Points, k: int) -> Points:
    """The first ``k`` stacked studies."""
    width = points.block(0).stop
    return Points(points.frame, {n: v[:, : k * width] for n, v in points.values.items()}, k)


@pytest.fixture(scope="module")
def designs():
    return {
        "effect": simulated(Effects(), STUDIES, seed=1),
        "null": simulated(Effects.null(), STUDIES, seed=2),
    }


@pytest.fixture(scope="module")
def judged(designs):
    return {k: (judge_blocks(p, ANALYSIS, details=False), t) for k, (p, t) in designs.items()}


def holds_rate(results, key: str) -> float:
    return float(np.mean([{c.key: c for c in s}[key].verdict == HOLDS for s in results]))


def coverage(results, truth, key: str, name: str) -> float:
    true = {c.key: c for c in truth}[key].by_normalization[name].estimate.value
    hits = []
    for study in results:
        est = {c.key: c for c in study}[key].by_normalization[name].estimate
        hits.append(est.low <= true <= est.high)
    return float(np.mean(hits))


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("name", NORMALIZATIONS)
def test_intervals_cover_the_planted_truth(judged, key, name):
    for design, (results, truth) in judged.items():
        assert coverage(results, truth, key, name) >= 0.90, (design, key, name)


@pytest.mark.parametrize("key", KEYS)
def test_a_planted_effect_is_found_and_none_is_invented(judged, key):
    assert holds_rate(judged["effect"][0], key) >= 0.80
    assert holds_rate(judged["null"][0], key) <= 0.10


def _constant(monkeypatch, key: str, value: float) -> None:
    """Replace claim ``key``'s statistic(s) by a constant (the mutation)."""
    statement, fn = CLAIMS[key]

    def mutated(points, analysis, name):
        evidence = fn(points, analysis, name)
        evidence.tests = [(label, np.full_like(v, value)) for label, v in evidence.tests]
        return evidence

    monkeypatch.setitem(claims_module.CLAIMS, key, (statement, mutated))


@pytest.mark.parametrize("key", KEYS)
def test_the_checks_fail_when_the_statistic_is_a_constant(monkeypatch, designs, key):
    n = 30  # a constant statistic fails totally: a few studies show it
    for value, design, check in (
        (0.0, "effect", lambda rate: rate >= 0.80),  # the power check
        (1.0, "null", lambda rate: rate <= 0.10),  # the size check
    ):
        with monkeypatch.context() as m:
            _constant(m, key, value)
            results = judge_blocks(first(designs[design][0], n), ANALYSIS, details=False)
        assert not check(holds_rate(results, key)), (key, value)
