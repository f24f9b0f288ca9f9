"""The evaluate verb scores a saved model, optionally pruned by a mask (zero-shot)."""

from __future__ import annotations

import json

import pytest

from pipeline.cli import main
from pipeline.compress.magnitude import global_magnitude_masks
from pipeline.compress.masks import save_masks
from pipeline.compress.prunable import prunable_parameters
from pipeline.examples import read_examples
from pipeline.tasks.metrics import from_examples


def test_evaluate_verb_with_and_without_a_mask(tiny_roberta, tiny_world, tmp_path):
    from transformers import AutoModel

    params = prunable_parameters(AutoModel.from_pretrained(str(tiny_roberta)))
    save_masks(tmp_path / "mask.npz", global_magnitude_masks(params, "0.7"))
    common = [
        "evaluate",
        "--model",
        str(tiny_roberta),
        "--task",
        "syn_sentiment",
        "--world",
        str(tiny_world),
        "--max-length",
        "24",
    ]
    examples = tmp_path / "examples.parquet"
    assert (
        main([*common, "--out", str(tmp_path / "dense.json"), "--out-examples", str(examples)]) == 0
    )
    assert (
        main(
            [*common, "--masks", str(tmp_path / "mask.npz"), "--out", str(tmp_path / "pruned.json")]
        )
        == 0
    )
    dense, pruned = (json.loads((tmp_path / f"{n}.json").read_text()) for n in ("dense", "pruned"))
    assert dense["achieved_sparsity"] == 0.0
    assert pruned["achieved_sparsity"] == pytest.approx(0.7, abs=1e-4)
    assert dense["n_eval"] == pruned["n_eval"] == 48  # the tiny world's validation split
    assert 0.0 <= pruned["metrics"]["accuracy"] <= 1.0
    assert pruned["loss"] != dense["loss"]  # the mask did change the model
    # Per-example outcomes recompute the metric; chance is the majority-class share.
    rows = read_examples(examples)
    assert len(rows) == 48 and from_examples("accuracy", rows) == dense["metrics"]["accuracy"]
    assert dense["chance"] == pruned["chance"] == rows["target"].value_counts().max() / 48


def test_evaluate_verb_names_an_unknown_task(tiny_roberta, tmp_path, capsys):
    assert (
        main(
            [
                "evaluate",
                "--model",
                str(tiny_roberta),
                "--task",
                "nope",
                "--out",
                str(tmp_path / "x.json"),
            ]
        )
        == 2
    )
    assert "unknown task 'nope'" in capsys.readouterr().err
