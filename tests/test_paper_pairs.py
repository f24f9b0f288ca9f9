"""Claim (b) at paper scale compares the paper's designated easy/hard pairs
(``settings.across_tasks.pairs`` in configs/paper.yaml: SST-2/CoLA, QQP/STS-B, QNLI/RTE,
WinoGrande/CSQA, MAWPS/SVAMP), in the paper's order, and no other pair of setting 4's tasks:
a pooled ranking by measured hardness would compare 45 pairs and could flip the paper's
first one (CoLA's measured difficulty falls below SST-2's with fairseq's dev scores).

On a simulated table of exactly the paper config's runs (tests/test_paper_claims.py).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from pipeline.analysis.claims import judge_blocks
from pipeline.analysis.options import Analysis
from pipeline.analysis.points import build_points, layout
from pipeline.analysis.resample import run_index, run_replicates
from pipeline.analysis.simulate import draw
from pipeline.analysis.tables import normalize
from pipeline.analysis.weighted import Examples
from tests.test_paper_claims import CHANCE, N_EXAMPLES, design, paper, planted_g


def setting4_pairs(config: dict) -> list[tuple[str, str, str]]:
    """(easier, harder, how the order was set) of every pair claim (b) read in setting 4."""
    analysis = dataclasses.replace(Analysis.from_config(config), bootstrap_resamples=99)
    frame, dense, rank, x = design(config)
    g = np.array(
        [planted_g(m, mode, xi, r, True) for m, mode, xi, r in
         zip(frame["method"], frame["mode"], x, rank, strict=True)]
    )  # fmt: skip
    values, correct = draw(
        np.random.default_rng(0), frame, CHANCE + (dense - CHANCE) * g, n_examples=N_EXAMPLES
    )
    table = normalize(frame.assign(value=values, _design=np.arange(len(frame))))
    table = table.reset_index(drop=True).assign(_run=np.arange(len(table)))
    ids, nan = np.arange(N_EXAMPLES), np.full(N_EXAMPLES, np.nan)
    per_run = [(ids, Examples(correct[i], nan, nan, [])) for i in table["_design"].to_numpy()]
    rep = run_replicates(table, None, 99, per_run=per_run, index=run_index(table))
    points = build_points(table, rep, shape=layout(table))
    claims = {c.key: c for c in judge_blocks(points, analysis, details=True)[0]}
    rows = claims["b"].by_normalization["chance"].details
    return [
        (r["easier"], r["harder"], r["order"]) for r in rows if r.get("setting") == "across_tasks"
    ]


def test_claim_b_reads_exactly_the_papers_designated_pairs():
    config = paper()
    designated = {tuple(p) for p in config["settings"]["across_tasks"]["pairs"]}
    assert ("sst2", "cola") in designated
    read = setting4_pairs(config)
    assert read, "claim (b) read no pair of setting 4"
    assert {(e, h) for e, h, _ in read} <= designated  # nothing beyond the paper's pairs
    assert {how for _, _, how in read} == {"designated"}
    # every designated pair whose two tasks share an order group (one model) is read
    assert {("sst2", "cola"), ("qqp", "stsb"), ("qnli", "rte"), ("winogrande", "csqa")} <= {
        (e, h) for e, h, _ in read
    }


def test_without_designated_pairs_claim_b_ranks_every_pair():
    config = paper()
    del config["settings"]["across_tasks"]["pairs"]
    read = {(e, h) for e, h, _ in setting4_pairs(config)}
    assert len(read) > 5  # the pooled ranking: far more pairs than the paper's five
