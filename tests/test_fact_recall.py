"""Zero-shot cloze fact recall: the data (one cloze per fact, frequent vs rare), the readout
against transformers' own fill-mask pipeline, and its place in the study's cells."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from pipeline.finetune.protocol import Protocol
from pipeline.io import read_jsonl
from pipeline.study import cells
from pipeline.tasks.registry import get_task
from tests.conftest import TINY_PRETRAIN, TINY_SIZE, tiny_run


@pytest.fixture(scope="module")
def pretrained(tiny_world, tmp_path_factory):
    from pipeline.models.pretrain import pretrain

    out = tmp_path_factory.mktemp("mlm")
    pretrain(tiny_world, "roberta", TINY_SIZE, {**TINY_PRETRAIN, "steps": 60}, out, False)
    return out


def test_one_cloze_per_fact_split_by_corpus_frequency(tiny_world):
    rows = pq.read_table(tiny_world / "facts/validation.parquet").to_pylist()
    kb = read_jsonl(tiny_world / "kb.jsonl")
    assert len(rows) == len(kb)
    assert all(r["masked_sentences"][0].count("[MASK]") == 1 for r in rows)
    assert all(r["obj_label"] in r["candidates"] for r in rows)
    frequent = [r["count"] for r in rows if r["frequency"] == "frequent"]
    rare = [r["count"] for r in rows if r["frequency"] == "rare"]
    assert frequent and rare and min(frequent) > max(rare)
    assert sorted(r["count"] for r in rows) == sorted(f["count"] for f in kb)
    task = get_task("syn_fact_recall")
    assert len(task.configure("freq-rare", {}).load_split("validation", tiny_world)) == len(rare)
    with pytest.raises(ValueError, match="zero_shot"):
        task.load_split("train", tiny_world)
    with pytest.raises(ValueError, match="frequent"):
        task.configure("freq-sometimes", {})


def test_readout_matches_the_fill_mask_pipeline(tiny_world, pretrained):
    from transformers import pipeline

    record = tiny_run(
        pretrained,
        tiny_world,
        "dense",
        "zero_shot",
        setting="fact_recall",
        model_name="m",
        task_name="syn_fact_recall",
        difficulty="freq-all",
        protocol=Protocol(lr=1e-3, steps=1, batch_size=8, max_length=24, seed=0),
    )
    rows = get_task("syn_fact_recall").load_split("validation", tiny_world)
    fill = pipeline("fill-mask", model=str(pretrained), device="cpu")
    hits = 0
    for row in rows:
        text = row["masked_sentences"][0].replace("[MASK]", fill.tokenizer.mask_token)
        best = fill(text, targets=row["candidates"], top_k=1)[0]["token_str"].strip()
        hits += best == row["obj_label"]
    assert record["n_eval"] == len(rows)
    assert record["value"] == pytest.approx(hits / len(rows))
    assert record["training"]["steps"] == 0


def test_fact_recall_setting_reads_the_model_and_its_control_zero_shot():
    config = {
        "compression": {"methods": ["magnitude"], "sparsities": [0.5]},
        "modes": ["dense", "sparse"],
        "seeds": [0],
        "settings": {
            "fact_recall": {
                "model": "m",
                "control_model": "m_scratch",
                "task": "syn_fact_recall",
                "frequencies": ["frequent", "rare"],
                "regimes": ["zero_shot"],
            }
        },
    }
    planned = cells(config)
    assert {c.mode for c in planned} == {"zero_shot"}
    assert {c.difficulty for c in planned} == {"freq-frequent", "freq-rare"}
    assert {(c.model, c.compression) for c in planned} == {
        ("m", "dense"),
        ("m", "magnitude-0.5"),
        ("m_scratch", "dense"),
    }
