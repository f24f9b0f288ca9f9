"""The resampling engine: every metric recomputed on weighted examples equals the
contract's ``from_examples`` on the resampled rows; example resamples are paired within a
level; deterministic one-seed cells get example-only intervals."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pipeline.analysis.options import Analysis
from pipeline.analysis.resample import examples_by_run, resample_counts, run_replicates
from pipeline.analysis.simulate import Effects, draw, examples_frame, skeleton, true_accuracy
from pipeline.analysis.tables import normalize, write_table
from pipeline.analysis.verdict import verdict
from pipeline.analysis.weighted import Examples, weighted_metric
from pipeline.cli import main
from pipeline.examples import examples_table
from pipeline.tasks.metrics import from_examples, generation_examples, logit_examples
from pipeline.tasks.registry import get_task

HYPOTHESES = ["the cat sat on a mat .", "Hello there, world!", "", "a different sentence"] * 5
REFERENCES = ["the cat sat on the mat .", "Hello, world!", "empty", "a different sentence"] * 5


def _arrays(frame: pd.DataFrame) -> Examples:
    return Examples(
        frame["score"].to_numpy(float),
        frame["prediction"].to_numpy(float),
        frame["target"].to_numpy(float),
        list(frame["stats"]),
    )


def _cases():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 80)
    p = np.where(rng.random(80) < 0.6, y, rng.integers(0, 3, 80))
    yb, pb = (y > 0).astype(int), (p > 0).astype(int)
    reg_y = rng.normal(size=80)
    reg_p = np.round(reg_y + rng.normal(0, 0.7, 80), 1)  # ties: Spearman's mid-ranks
    translation = get_task("syn_translation")
    return {
        "accuracy": logit_examples(y.tolist(), p.tolist(), regression=False),
        "mcc": logit_examples(y.tolist(), p.tolist(), regression=False),
        "f1": logit_examples(yb.tolist(), pb.tolist(), regression=False),
        "pearson": logit_examples(reg_y.tolist(), reg_p.tolist(), regression=True),
        "spearman": logit_examples(reg_y.tolist(), reg_p.tolist(), regression=True),
        "bleu": generation_examples(translation, [[r] for r in REFERENCES], HYPOTHESES),
    }


@pytest.mark.parametrize("metric", ["accuracy", "mcc", "f1", "pearson", "spearman", "bleu"])
def test_weighted_metric_is_from_examples_on_the_resampled_rows(metric):
    rows = examples_table(_cases()[metric]).to_pandas()
    n = len(rows)
    counts = resample_counts(np.random.default_rng(1), n, 5)
    got = weighted_metric(metric, _arrays(rows), np.vstack([np.ones(n), counts]))
    assert got[0] == pytest.approx(from_examples(metric, rows), rel=1e-9, abs=1e-12)
    for b in range(5):
        resampled = rows.iloc[np.repeat(np.arange(n), counts[b])]
        assert got[b + 1] == pytest.approx(from_examples(metric, resampled), rel=1e-9, abs=1e-9)


def test_resample_counts_are_multinomial_draws_of_n():
    counts = resample_counts(np.random.default_rng(0), 50, 400)
    assert counts.shape == (400, 50) and (counts.sum(axis=1) == 50).all()
    assert counts.mean() == pytest.approx(1.0) and counts.var() == pytest.approx(0.98, abs=0.05)


def _study(seeds: int = 3, n_examples: int = 200):
    design = skeleton(seeds=seeds, tasks=("syn_a",))
    design = design[
        design["method"].isin(["dense", "magnitude"]) & design["mode"].ne("dense_freeze")
    ]
    design = design.reset_index(drop=True)
    values, correct = draw(
        np.random.default_rng(0), design, true_accuracy(design, Effects()), n_examples
    )
    results = design.drop(columns="x").assign(value=values, n_eval=n_examples)
    return results, examples_frame(design, correct)


def test_runs_of_a_level_share_each_example_resample():
    """Pairing: the dense run and a compressed run of one level see the same resample, so
    the normalized replicates vary less than the raw ones would if drawn independently."""
    results, examples = _study()
    frame = normalize(results).reset_index(drop=True)
    rep = run_replicates(frame, examples, 300)
    assert rep.has_examples.all()
    per_run = examples_by_run(frame, examples)
    row = int(
        np.flatnonzero((frame["compression"] == "magnitude-0.8") & (frame["mode"] == "sparse"))[0]
    )
    dense = int(
        np.flatnonzero(
            (frame["compression"] == "dense")
            & (frame["seed"] == frame["seed"][row])
            & (frame["difficulty"] == frame["difficulty"][row])
        )[0]
    )
    assert np.array_equal(per_run[row][0], per_run[dense][0])
    # same resample: ratio replicate = value replicate / dense replicate, column by column
    assert np.allclose(rep.ratio[row], rep.value[row] / rep.value[dense])
    paired = np.std(rep.ratio[row])
    unpaired = np.std(rep.value[row] / np.random.default_rng(5).permutation(rep.value[dense]))
    assert paired < unpaired


def test_a_one_seed_zero_shot_cell_gets_an_example_interval_not_a_point():
    """Issue #13: deterministic cells repeated per seed gave [-1.000, -1.000]. A zero-shot
    cell now runs once; its interval comes from its examples, with width, and without
    examples it is undefined (inconclusive), never zero-width."""
    results, examples = _study(seeds=1)
    results = results[results["mode"] != "sparse_to_dense"]
    examples = examples[examples["mode"] != "sparse_to_dense"]
    results = results.assign(
        mode=results["mode"].replace({"sparse": "zero_shot", "dense": "zero_shot"})
    )
    examples = examples.assign(
        mode=examples["mode"].replace({"sparse": "zero_shot", "dense": "zero_shot"})
    )
    analysis = Analysis(bootstrap_resamples=300)
    with_examples = verdict(normalize(results), analysis, "z", examples)
    a = with_examples["claims"][0]["ratio"]
    assert a["ci_low"] < a["mean"] < a["ci_high"] and a["n_seeds"] == 1
    assert with_examples["claims"][0]["verdict"] == "holds"  # deterministic: min_seeds exempt
    without = verdict(normalize(results), analysis, "z")
    a = without["claims"][0]["ratio"]
    assert a["ci_low"] is None and without["claims"][0]["verdict"] == "inconclusive"


def test_verdict_verb_reads_the_examples_table(tmp_path):
    results, examples = _study()
    table, ex = tmp_path / "normalized.parquet", tmp_path / "examples.parquet"
    write_table(normalize(results), table)
    examples.to_parquet(ex)
    md, js = tmp_path / "verdict.md", tmp_path / "verdict.json"
    args = ["verdict", "--table", str(table), "--study", "s", "--out-md", str(md)]
    args += ["--analysis", json.dumps({"bootstrap_resamples": 300}), "--out-json", str(js)]
    assert main(args + ["--examples", str(ex)]) == 0
    result = json.loads(js.read_text())
    assert result["examples"] is True
    wide = result["claims"][0]["ratio"]
    assert main(args) == 0  # seeds only: the evaluation noise is missing, so narrower
    narrow = json.loads(js.read_text())["claims"][0]["ratio"]
    assert (wide["ci_high"] - wide["ci_low"]) > (narrow["ci_high"] - narrow["ci_low"])
    assert "evaluation examples within each seed" not in md.read_text()
