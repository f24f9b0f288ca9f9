"""The verdict page and its forest plot on a simulated study with 3 pre-training seeds and
knowledge items: summary first, per-setting verdicts, the margin and its recorded hash (a
warning when it changes), item counts, provenance last; designated pairs set the order;
the item bootstrap widens intervals when examples repeat one item."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.analysis.options import Analysis
from pipeline.analysis.simulate import Effects, draw, examples_frame, skeleton, true_accuracy
from pipeline.analysis.tables import normalize
from pipeline.analysis.verdict import markdown, verdict

ANALYSIS = Analysis(bootstrap_resamples=199, min_seeds=2)


@pytest.fixture(scope="module")
def study():
    design = skeleton(2, pretrain_seeds=3)
    values, correct = draw(np.random.default_rng(0), design, true_accuracy(design, Effects()))
    return normalize(design.assign(value=values)), examples_frame(design, correct, per_item=3)


def test_the_page_reads_top_down_and_records_the_analysis_hash(study, tmp_path):
    normalized, examples = study
    result = verdict(normalized, ANALYSIS, "sim", examples, folder=tmp_path)
    page = markdown(result)
    order = ["## In short", "## Per setting", "## Margin", "## Items per level", "## Details"]
    assert [page.index(h) for h in order] == sorted(page.index(h) for h in order)
    assert page.rstrip().endswith(page.rstrip().splitlines()[-1])
    assert page.index("## Provenance") > page.index("## Details")
    assert "pre-training seeds: 0, 1, 2" in page and "Warning" not in page
    assert "| s_syn_a | syn_a | fraction-1 | 200 | 600 |" in page
    for claim in result["claims"]:
        assert {s["setting"] for s in claim["chance"]["settings"]} == {"s_syn_a", "s_syn_b"}
        assert claim["chance"]["heterogeneity"]["df"] == 1
    assert "[+1.000, +1.000]" not in page
    # A margin moved after the first verdict: the page says so.
    moved = Analysis(bootstrap_resamples=199, min_seeds=2, margin={"chance": 0.02})
    again = markdown(verdict(normalized, moved, "sim", examples, folder=tmp_path))
    assert "**Warning:** the analysis settings changed" in again
    assert result["analysis"]["hash"] in again


def test_the_forest_plot_has_a_panel_per_claim_with_the_margin_band(study):
    from matplotlib.patches import Rectangle

    from pipeline.figures import forest

    normalized, examples = study
    result = verdict(normalized, ANALYSIS, "sim", examples)
    fig = forest.draw(result, ANALYSIS)
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert len(panels) == 5
    for ax in panels:
        labels = [t.get_text() for t in ax.get_yticklabels()]
        assert labels[-1].startswith("pooled") and not any("_" in t for t in labels)
        bands = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_width() > 0]
        assert any(abs(p.get_width() - 0.05) < 1e-9 for p in bands)


def test_designated_pairs_set_the_order_and_disagreements_are_flagged(study):
    normalized, examples = study
    # Designate the harder level as the easier one: the order follows the designation, the
    # measured hardness disagrees, and (b) turns negative.
    pairs = {s: [["fraction-0.25", "fraction-1"]] for s in ("s_syn_a", "s_syn_b")}
    flipped = Analysis(bootstrap_resamples=199, min_seeds=2, pairs=pairs)
    b = verdict(normalized, flipped, "sim", examples)["claims"][1]["chance"]
    assert b["mean"] < 0
    assert all(d["order"] == "designated" and d["disagrees"] for d in b["details"])


def test_examples_of_one_item_are_one_unit_of_evidence():
    """Three identical questions per item: resampling items widens the interval of a level's
    score by about sqrt(3) over resampling rows as if they were independent."""
    from pipeline.analysis.resample import item_counts, resample_counts

    rng = np.random.default_rng(0)
    per_item, items = 3, 200
    score = np.repeat(rng.random(items) < 0.7, per_item).astype(float)
    codes = np.arange(items * per_item) // per_item
    by_item = item_counts(np.random.default_rng(1), codes, 4000) @ score / (items * per_item)
    by_row = resample_counts(np.random.default_rng(1), items * per_item, 4000) @ score
    ratio = by_item.std() / (by_row / (items * per_item)).std()
    assert ratio == pytest.approx(np.sqrt(per_item), rel=0.1)


def test_the_margin_and_pairs_come_from_the_config_and_bad_ones_are_named():
    import copy
    from pathlib import Path

    import yaml
    from snakemake.utils import validate

    repo = Path(__file__).resolve().parents[1]
    config = yaml.safe_load((repo / "config.yaml").read_text())
    assert Analysis.from_config(config).margin == {"chance": 0.05, "ratio": 0.02}
    paired = copy.deepcopy(config)
    paired["settings"]["across_tasks"]["pairs"] = [["syn_sentiment", "syn_factcheck"]]
    validate(copy.deepcopy(paired), str(repo / "pipeline/schemas/config.schema.yaml"))
    analysis = Analysis.from_config(paired)
    assert analysis.pairs == {"across_tasks": [["syn_sentiment", "syn_factcheck"]]}
    assert analysis.digest != Analysis.from_config(config).digest  # pairs are in the hash
    with pytest.raises(ValueError, match=r"analysis.margin.chance: 1.5 is not in \(0, 1\)"):
        Analysis.from_dict({"margin": {"chance": 1.5}})
    with pytest.raises(ValueError, match="analysis.margin: unknown normalization 'raw'"):
        Analysis.from_dict({"margin": {"raw": 0.1}})
    with pytest.raises(ValueError, match="settings.book.pairs"):
        Analysis.from_dict({"pairs": {"book": [["open", "open"]]}})


def test_collect_records_the_analysis_hash_before_any_verdict(study, tmp_path):
    """The first collect of a results folder records the analysis settings; a later
    collect or a verdict keeps that record, and a verdict under other settings warns."""
    import json

    from test_load_errors import RECORD

    from pipeline.cli import main

    record = tmp_path / "run" / "metrics.json"
    record.parent.mkdir()
    record.write_text(json.dumps(RECORD))
    tables = tmp_path / "tables"
    first = Analysis(margin={"chance": 0.05})

    def collect(analysis: Analysis) -> dict:
        out = str(tables / "results.parquet")
        assert main(["collect", str(record), "--out", out, "--analysis", analysis.to_json()]) == 0
        return json.loads((tables / "analysis_record.json").read_text())

    written = collect(first)
    assert written["recorded_by"] == "collect" and written["analysis_hash"] == first.digest
    moved = Analysis(bootstrap_resamples=199, min_seeds=2, margin={"chance": 0.2})
    assert collect(moved) == written  # never overwritten
    normalized, examples = study
    page = markdown(verdict(normalized, moved, "sim", examples, folder=tables))
    assert "**Warning:** the analysis settings changed" in page
    assert f"{first.digest} (" in page and "by `collect`" in page


def test_the_examples_file_read_level_by_level_gives_the_same_verdict(study, tmp_path):
    """The verdict verb reads examples.parquet one level at a time (memory at paper size):
    the same numbers as the whole table in memory."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipeline.analysis.examples_file import ExamplesFile

    normalized, examples = study
    path = tmp_path / "examples.parquet"
    pq.write_table(pa.Table.from_pandas(examples.drop(columns="stats"), preserve_index=False), path)
    whole = verdict(normalized, ANALYSIS, "sim", examples)
    by_level = verdict(normalized, ANALYSIS, "sim", ExamplesFile(path))
    assert by_level["items"] == whole["items"] and by_level["examples"]
    for a, b in zip(whole["claims"], by_level["claims"], strict=True):
        assert a["chance"]["mean"] == pytest.approx(b["chance"]["mean"], abs=1e-12)
        assert a["chance"]["ci_low"] == pytest.approx(b["chance"]["ci_low"], abs=1e-12)
        assert a["chance"]["ci_high"] == pytest.approx(b["chance"]["ci_high"], abs=1e-12)
