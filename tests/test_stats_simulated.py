"""The claims' statistics on simulated tables with a planted truth (no training): the smoke
run of the planted-truth suite (:mod:`pipeline.analysis.simcheck`; the full suite, 400
tables per condition and B = 499, is ``bench/bench_stats_suite.py``).

Default design: 3 pre-training x 2 fine-tuning seeds, 200 knowledge items of 3 examples
per level, intra-item correlation 0.3. Each claim is planted at three sizes on the
chance-corrected scale -- 0 (null), the margin, 1.5 x the margin -- in 50 tables each.
Claims b-e share their null and 1.5 x margin tables (their parameters are independent);
at the margin each has its own tables, the others keeping the default effects (all four
at the margin at once would make Holm's step-down cost power that a single claim at the
margin does not pay). (a) has its own tables, since a flat curve leaves the others
without damage. 49 bootstrap replicates: with three pre-training seeds the interval is a
t interval, and the replicates only estimate the variance the seeds share through their
items. Checked per claim:

- coverage: the 95% interval holds the planted truth in at least 90% of the tables of each
  size;
- power: the claim holds on at least 80% of the tables whose effect equals the margin.
  Power at the margin is a property of the design, not of the statistics: at 200 items
  per level the detectable effect of (b)-(e) is 0.055-0.07 against the margin 0.05
  (power 58-76%, measured; bench/bench_stats_suite.py reports it), so the margin tables
  have 400 items per level, a design whose detectable effect is about the margin; the
  other checks run at the default design;
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


def _tables(key: str, name: str) -> str:
    """Which drawn tables judge claim ``key`` at size ``name``."""
    if key == "a" or name == "margin":
        return key
    return simcheck.JOINT


@pytest.fixture(scope="module")
def drawn():
    """Per (tables, size name): the stacked points of TABLES tables and the truth."""
    wanted = sorted({(_tables(k, n), n) for k in CLAIMS for n in SIZES})
    return {
        (keys, name): simcheck.simulate(
            keys, SIZES[name], TABLES, ANALYSIS, POWERED if name == "margin" else DEFAULT, i
        )
        for i, (keys, name) in enumerate(wanted)
    }


@pytest.fixture(scope="module")
def judged(drawn):
    return {
        (keys, name): simcheck.judge_condition(points, truth, keys, SIZES[name], ANALYSIS)
        for (keys, name), (points, truth) in drawn.items()
    }


def _condition(judged, key: str, name: str) -> simcheck.Condition:
    return judged[_tables(key, name), name][key]


def _passes(conditions: dict[str, simcheck.Condition]) -> bool:
    return (
        all(c.coverage >= 0.90 for c in conditions.values())
        and conditions["margin"].rate(HOLDS) >= 0.80
        and conditions["null"].rate(HOLDS) <= 0.075
        and conditions["1.5x margin"].rate(FAILS) <= 0.075
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
    assert mutated.coverage < 0.90 and mutated.rate(HOLDS) < 0.80
