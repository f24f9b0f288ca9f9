"""The claims' statistics on simulated tables with a planted truth (no training): the smoke
run of the planted-truth suite (:mod:`pipeline.analysis.simcheck`; the full suite, 400
tables per condition and B = 499, is ``bench/bench_stats_suite.py``, its figures in
docs/statistics.md §8).

Default design: 3 pre-training x 2 fine-tuning seeds, 200 knowledge items of 3 examples
per level, intra-item correlation 0.3. Each claim is planted at three sizes on the
chance-corrected scale -- 0 (null), the margin, 1.5 x the margin -- in 50 tables each
(which tables judge which claim: ``simcheck.tables_for``). 49 bootstrap replicates: with
three pre-training seeds the interval is a t interval, and the replicates only estimate
the item noise. Checked per claim, each target less two binomial standard errors of 50
tables (a method exactly at a target passes each check 97.7% of the time; the full suite
checks the targets themselves):

- coverage: the 95% interval holds the planted truth in at least 90% of the tables of each
  size;
- power: the claim holds on at least 80% of the tables whose effect equals the margin.
  Power at the margin is a property of the design: at 200 items per level the detectable
  effect of (b)-(e) exceeds the margin 0.05 (power 53-72%, docs/statistics.md §8), so the
  margin tables have 400 items per level (power 78.5-88% there); the other checks run at
  the default design;
- size: it holds on at most 7.5% of the null tables;
- no false absence: it does not hold on at most 7.5% of the tables at 1.5 x the margin;
- mutation: with the claim's statistic replaced by a constant the coverage and power
  checks fail (on the margin tables).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from pipeline.analysis import claims as claims_module
from pipeline.analysis import simcheck
from pipeline.analysis.claims import CLAIMS
from pipeline.analysis.decide import FAILS, HOLDS
from pipeline.analysis.options import Analysis

TABLES = 50
ANALYSIS = Analysis(bootstrap_resamples=49, min_seeds=2)
SIZES = simcheck.sizes(ANALYSIS)
DEFAULT = simcheck.Design()
POWERED = replace(DEFAULT, noise=replace(DEFAULT.noise, n_items=400))


def _allowance(rate: float) -> float:
    """Two binomial standard errors of a rate measured on TABLES tables."""
    return 2 * float(np.sqrt(rate * (1 - rate) / TABLES))


@pytest.fixture(scope="module")
def drawn():
    """Per (tables, size name): the stacked points of TABLES tables and the truth."""
    return {
        (keys, name): simcheck.simulate(
            keys, SIZES[name], TABLES, ANALYSIS, POWERED if name == "margin" else DEFAULT, i
        )
        for i, (keys, name) in enumerate(simcheck.plan("".join(CLAIMS), list(SIZES)))
    }


@pytest.fixture(scope="module")
def judged(drawn):
    return {
        (keys, name): simcheck.judge_condition(points, truth, keys, SIZES[name], ANALYSIS)
        for (keys, name), (points, truth) in drawn.items()
    }


def _condition(judged, key: str, name: str) -> simcheck.Condition:
    return judged[simcheck.tables_for(key, name), name][key]


def _passes(conditions: dict[str, simcheck.Condition]) -> bool:
    return (
        all(c.coverage >= 0.90 - _allowance(0.90) for c in conditions.values())
        and conditions["margin"].rate(HOLDS) >= 0.80 - _allowance(0.80)
        and conditions["null"].rate(HOLDS) <= 0.075 + _allowance(0.075)
        and conditions["1.5x margin"].rate(FAILS) <= 0.075 + _allowance(0.075)
    )


def test_the_planted_sizes_are_the_truth(judged):
    for key in CLAIMS:
        for name, size in SIZES.items():
            assert _condition(judged, key, name).truth == pytest.approx(size, abs=1e-6), key


@pytest.mark.parametrize("key", list(CLAIMS))
def test_intervals_cover_and_verdicts_have_their_error_rates(judged, key):
    conditions = {name: _condition(judged, key, name) for name in SIZES}
    report = {n: (c.coverage, c.rate(HOLDS), c.rate(FAILS)) for n, c in conditions.items()}
    assert _passes(conditions), report


@pytest.mark.parametrize("key", list(CLAIMS))
def test_the_checks_fail_when_the_statistic_is_a_constant(monkeypatch, drawn, key):
    statement, fn = CLAIMS[key]

    def constant(points, analysis, name):
        evidence = fn(points, analysis, name)
        for part in evidence.parts:
            part.by_setting = {s: np.full_like(v, 0.03) for s, v in part.by_setting.items()}
        return evidence

    monkeypatch.setitem(claims_module.CLAIMS, key, (statement, constant))
    points, truth = drawn[key, "margin"]
    mutated = simcheck.judge_condition(points, truth, key, SIZES["margin"], ANALYSIS)[key]
    # A constant has no interval: it covers nothing and never holds.
    assert mutated.coverage < 0.90 - _allowance(0.90)
    assert mutated.rate(HOLDS) < 0.80 - _allowance(0.80)
