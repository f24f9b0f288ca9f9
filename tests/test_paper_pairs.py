"""Claim (b) at paper scale compares the paper's designated easy/hard pairs
(``settings.across_tasks.pairs`` in configs/paper.yaml: SST-2/CoLA, QQP/STS-B, QNLI/RTE,
WinoGrande/CSQA, MAWPS/SVAMP), in the paper's order, and no other pair of setting 4's tasks:
a pooled ranking by measured hardness would compare 45 pairs and could flip the paper's
first one (CoLA's measured difficulty falls below SST-2's with fairseq's dev scores).

On a simulated table of exactly the paper config's runs (tests/test_paper_claims.py).
"""

from __future__ import annotations

import dataclasses

from pipeline.analysis.options import Analysis
from tests.conftest import paper
from tests.test_paper_claims import planted_claims, planted_g


def setting4_pairs(config: dict) -> list[tuple[str, str, str]]:
    """(easier, harder, how the order was set) of every pair claim (b) read in setting 4."""
    analysis = dataclasses.replace(Analysis.from_config(config), bootstrap_resamples=99)

    def truth(method: str, mode: str, x: float, rank: float, setting: str) -> float:
        return planted_g(method, mode, x, rank, True)

    claims = planted_claims(config, truth, analysis)
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
