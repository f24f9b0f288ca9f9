"""``normalize`` divides by the dense run of the same cell, and refuses runs fine-tuned under
a different protocol, naming both protocols and the fields that differ."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.analysis.tables import flatten, normalize, write_table
from pipeline.finetune.protocol import Protocol, protocol_diff
from pipeline.finetune.spec import RunSpec
from pipeline.records import Outcome, run_record
from pipeline.tasks.synthetic import SYN_SENTIMENT

BASE = Protocol(lr=5e-4, epochs=3, batch_size=32, max_length=32, seed=0)


def _row(compression: str, mode: str, value: float, protocol: Protocol) -> dict:
    spec = RunSpec("t", "data_fraction", "tiny", "syn_sentiment", "fraction-1", compression, mode,
                   protocol)  # fmt: skip
    outcome = Outcome(
        evaluation={"metrics": {"accuracy": value}, "loss": 0.5, "n_eval": 10},
        sparsity={"achieved_sparsity": 0.0 if mode == "dense" else 0.5, "denominator_numel": 100},
        training={"steps": 9},
        wall_time_s=1.0,
    )
    record = run_record(spec, SYN_SENTIMENT, outcome)
    return flatten(record)


def test_normalized_score_is_compressed_over_dense():
    table = pd.DataFrame(
        [
            _row("dense", "dense", 0.8, BASE),
            _row("magnitude-0.5", "sparse", 0.6, BASE),
            _row("magnitude-0.5", "dense_freeze", 0.7, BASE),
        ]
    )
    out = normalize(table).set_index("mode")
    assert out.loc["sparse", "normalized"] == pytest.approx(0.6 / 0.8)
    assert out.loc["dense_freeze", "normalized"] == pytest.approx(0.7 / 0.8)
    assert out.loc["dense", "normalized"] == 1.0


def test_rows_with_different_protocol_hashes_are_refused_naming_the_fields():
    other = Protocol(lr=1e-3, epochs=3, batch_size=16, max_length=32, seed=0)
    assert other.hash != BASE.hash
    table = pd.DataFrame(
        [_row("dense", "dense", 0.8, BASE), _row("magnitude-0.5", "sparse", 0.6, other)]
    )
    with pytest.raises(ValueError, match="protocol mismatch") as err:
        normalize(table)
    message = str(err.value)
    assert BASE.hash in message and other.hash in message
    assert "'lr': (0.001, 0.0005)" in message
    assert "'batch_size': (16, 32)" in message
    assert "epochs" not in message.split("differing fields")[1]  # only what differs


def test_protocol_hash_changes_with_every_field_and_only_with_them():
    assert Protocol(**BASE.to_dict()).hash == BASE.hash
    for key, value in [
        ("lr", 1e-3),
        ("weight_decay", 0.01),
        ("schedule", "cosine"),
        ("warmup_ratio", 0.1),
        ("precision", "bf16"),
        ("max_grad_norm", 1.0),
        ("eval_batch_size", 64),
        ("seed", 1),
    ]:
        changed = Protocol(**{**BASE.to_dict(), key: value})
        assert changed.hash != BASE.hash, key
        assert list(protocol_diff(changed.to_dict(), BASE.to_dict())) == [key]
    by_steps = Protocol(**{**BASE.to_dict(), "epochs": None, "steps": 100})
    assert protocol_diff(by_steps.to_dict(), BASE.to_dict()) == {
        "epochs": (None, 3),
        "steps": (100, None),
    }


# --- a dense score of 0: the level is excluded and listed, never divided by ---------------


def _planted_with_a_zero_dense_level():
    """The planted drop of tests/test_analysis.py, plus one BLEU-like level (chance 0) whose
    dense run scores 0 on one seed (an untrained model): its ratio is undefined."""
    from tests.test_analysis import drop_harder_faster, results_rows

    frame = results_rows(drop_harder_faster)
    broken = frame[(frame["task"] == "syn_a") & (frame["difficulty"] == "fraction-0.25")].copy()
    broken["task"], broken["chance"] = "syn_zero", 0.0
    zero = (broken["seed"] == 2) & (broken["compression"] == "dense")
    broken.loc[zero, "value"] = 0.0
    broken.loc[(broken["seed"] == 2) & ~zero, "value"] = 0.0
    return pd.concat([frame, broken], ignore_index=True)


def test_a_zero_dense_score_excludes_its_level_with_the_reason_and_keeps_its_rows():
    from pipeline.analysis.undefined_ratio import EXCLUDED, excluded_levels

    results = _planted_with_a_zero_dense_level()
    out = normalize(results)
    assert len(out) == len(results)  # nothing dropped
    level = out[out["task"] == "syn_zero"]
    assert level[EXCLUDED].notna().all()
    assert set(level[EXCLUDED]) == {"dense score 0 (seed 2): the ratio to dense is undefined"}
    # The undefined ratios are null (0 / 0 is neither 1 nor a number); the other seeds of
    # the level keep their ratios but leave the claims with it.
    assert level.loc[level["seed"] == 2, "normalized"].isna().all()
    assert np.isfinite(level.loc[level["seed"] != 2, "normalized"]).all()
    assert out.loc[out["task"] != "syn_zero", EXCLUDED].isna().all()
    assert not np.isinf(out["normalized"].to_numpy(dtype=float)).any()
    [listed] = excluded_levels(out)
    assert (listed["task"], listed["difficulty"], listed["regime"]) == (
        "syn_zero",
        "fraction-0.25",
        "fine_tuned",
    )
    assert listed["n_rows"] == len(level)


def test_the_verdict_lists_the_excluded_level_and_judges_the_others_as_without_it(tmp_path):
    from pipeline.analysis.options import Analysis
    from pipeline.analysis.summary import summarize
    from pipeline.analysis.verdict import markdown, verdict
    from tests.test_analysis import drop_harder_faster, results_rows

    analysis = Analysis(bootstrap_resamples=500)
    with_zero = normalize(_planted_with_a_zero_dense_level())
    write_table(with_zero, tmp_path / "normalized.parquet")  # the schema takes the nulls
    result = verdict(with_zero, analysis, study="t")
    [listed] = result["undefined_ratio_levels"]
    assert listed["task"] == "syn_zero" and "dense score 0" in listed["reason"]
    page = markdown(result)
    section = page.split("## Excluded levels (no ratio to dense)")[1].split("##")[0]
    assert "syn_zero/fraction-0.25 (fine_tuned): dense score 0 (seed 2)" in section
    # The claims are those of the table without the excluded level: nothing of it leaks in.
    clean = verdict(normalize(results_rows(drop_harder_faster)), analysis, study="t")
    for got, want in zip(result["claims"], clean["claims"], strict=True):
        assert got["verdict"] == want["verdict"], got["key"]
        assert got["ratio"]["mean"] == pytest.approx(want["ratio"]["mean"]), got["key"]
    assert "syn_zero" not in set(summarize(with_zero, analysis)["task"])


def test_a_figure_lists_the_levels_it_cannot_draw_and_draws_the_others():
    from pipeline.analysis.options import Analysis
    from pipeline.figures.registry import FIGURES

    figure, analysis = FIGURES["fig1_data_fraction"], Analysis(bootstrap_resamples=200)
    with_zero = normalize(_planted_with_a_zero_dense_level())
    drawn = figure.draw(with_zero, analysis)
    notes = [t.get_text() for t in drawn.texts if t.get_text().startswith("Not drawn:")]
    assert len(notes) == 1 and "m/syn_zero/fraction-0.25 (sparse): dense score 0" in notes[0]
    assert "syn_zero" not in set(figure.data(with_zero, analysis)["task"])
    # Every level without a ratio: a figure that says so, not a crash or an empty plot.
    only_zero = with_zero[with_zero["task"] == "syn_zero"]
    text = " ".join(t.get_text() for ax in figure.draw(only_zero, analysis).axes for t in ax.texts)
    assert "every level has no ratio" in text and "syn_zero" in text
