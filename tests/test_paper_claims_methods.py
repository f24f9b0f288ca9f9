"""Each setting's claims read the method its figure shows (``claims_methods``): setting 3
(the book) reads the per-layer magnitude of the paper's Fig. 3 (with magnitude N:M); Wanda,
SparseGPT and global magnitude (the random control's match) stay secondary rows.

On a simulated table of exactly the paper config's runs (tests/test_paper_claims.py's
design), the book's per-layer magnitude is planted with the hypothesis (closed book drops
faster) and global magnitude with its opposite: the claims must read the first, and
reading the second instead (no ``claims_methods``) must change what they see.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from pipeline.analysis.options import Analysis
from tests.conftest import paper
from tests.test_paper_claims import planted_claims, planted_g


def truth(method: str, mode: str, x: float, rank: float, setting: str) -> float:
    g = planted_g(method, mode, x, rank, effect=True)
    if setting == "book" and method == "magnitude":  # reversed: the open book drops faster
        return 1 - (0.7 - 0.4 * (0.0 if np.isnan(rank) else rank)) * x
    return g


def book_steepness(config: dict) -> tuple[set[str], dict]:
    """(methods claim b read in the book, claim b itself) on the planted table."""
    analysis = dataclasses.replace(Analysis.from_config(config), bootstrap_resamples=199)
    claims = planted_claims(config, truth, analysis)
    rows = claims["b"].by_normalization["ratio"].details
    book = [r for r in rows if r["group"].startswith("book/")]
    return {r["method"] for r in book}, book


def test_the_paper_config_names_the_figures_method_for_the_book():
    config = paper()
    assert config["settings"]["book"]["claims_methods"] == ["magnitude_layer", "magnitude_nm"]
    analysis = Analysis.from_config(config)
    assert analysis.setting_methods == {"book": ("magnitude_layer", "magnitude_nm")}
    assert analysis.methods == ("magnitude", "magnitude_nm")  # every other setting
    assert Analysis.from_dict(__import__("json").loads(analysis.to_json())) == analysis


def test_the_book_claims_read_per_layer_magnitude_not_global():
    methods, book = book_steepness(paper())
    assert methods == {"magnitude_layer", "magnitude_nm"}
    layer = [r for r in book if r["method"] == "magnitude_layer"]
    assert layer and all(r["ci_low"] > 0 for r in layer), layer  # closed drops faster


def test_without_claims_methods_the_book_reads_global_magnitude():
    config = paper()
    del config["settings"]["book"]["claims_methods"]
    methods, book = book_steepness(config)
    assert methods == {"magnitude", "magnitude_nm"}
    planted_reversed = [r for r in book if r["method"] == "magnitude"]
    assert planted_reversed and all(r["ci_high"] < 0 for r in planted_reversed)


def test_a_claims_method_the_setting_does_not_run_is_refused():
    from pipeline.config import check_config
    from pipeline.resolve import ConfigError

    config = paper()
    config["settings"]["book"]["claims_methods"] = ["owl"]
    with pytest.raises(ConfigError, match=r"settings\.book\.claims_methods\[0\]"):
        check_config(config)
