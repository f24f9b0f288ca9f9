"""Dense baselines checked against published dev scores (pipeline/tasks/published.py): on a
planted results table, a dense run far below its model's published score is flagged in the
gates table, with every level of its task in that setting, and leaves the claims
(the verdict lists it); a run within the tolerance passes; tasks without a published score
are listed as unchecked."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipeline.analysis.gates import failed_levels, gates_markdown, gates_table
from pipeline.tasks.published import published_score

REPO = Path(__file__).resolve().parents[1]
SETTINGS = {
    "data_fraction": {"model": "roberta-base", "tasks": ["sst2", "mnli"], "fractions": [0.1, 1]},
    "across_tasks": {
        "model": "roberta_large",
        "tasks": ["sst2", "cola", "qnli", "mawps"],
        "task_models": {"mawps": "bart_large"},
    },
}
HUB = {
    "roberta-base": "FacebookAI/roberta-base",
    "roberta_large": "FacebookAI/roberta-large",
    "bart_large": "facebook/bart-large",
}


def dense(setting, model, task, difficulty, value, metric="accuracy", seeds=(41, 42, 43)):
    staged = json.dumps({"hub_id": HUB[model], "revision": "r"})
    return [
        {"setting": setting, "model": model, "task": task, "difficulty": difficulty,
         "compression": "dense", "mode": "dense", "seed": seed, "metric": metric,
         "value": value + 0.002 * (seed - 42), "n_eval": 2000, "chance": 0.0 if metric == "mcc"
         else 0.5, "reference_score": float("nan"), "model_staged_json": staged}
        for seed in seeds
    ]  # fmt: skip


def planted() -> pd.DataFrame:
    rows = []
    rows += dense("data_fraction", "roberta-base", "sst2", "fraction-1", 0.94)  # 0.948: ok
    rows += dense("data_fraction", "roberta-base", "sst2", "fraction-0.1", 0.90)
    rows += dense("data_fraction", "roberta-base", "mnli", "fraction-1", 0.70)  # 0.876: broken
    rows += dense("data_fraction", "roberta-base", "mnli", "fraction-0.1", 0.65)
    rows += dense("across_tasks", "roberta_large", "sst2", "task-all", 0.80)  # 0.962: broken
    rows += dense("across_tasks", "roberta_large", "cola", "task-all", 0.63, metric="mcc")
    rows += dense("across_tasks", "roberta_large", "qnli", "task-all", 0.95)  # above: ok
    rows += dense("across_tasks", "bart_large", "mawps", "task-all", 0.70)  # nothing published
    return pd.DataFrame(rows)


def test_the_published_scores_are_the_papers_and_fairseqs():
    assert published_score("FacebookAI/roberta-large", "cola") == (
        0.649, "paper Table 1 (RoBERTa-Large dev)"
    )  # fmt: skip
    tasks = ("sst2", "cola", "qqp", "stsb", "qnli", "rte", "winogrande", "csqa", "mnli")
    large = {t: published_score("roberta-large", t)[0] for t in tasks}
    assert large == {"sst2": 0.962, "cola": 0.649, "qqp": 0.918, "stsb": 0.922, "qnli": 0.944,
                     "rte": 0.843, "winogrande": 0.781, "csqa": 0.721, "mnli": 0.902}  # fmt: skip
    base = {t: published_score("FacebookAI/roberta-base", t) for t in ("sst2", "qnli", "mnli")}
    assert {t: v[0] for t, v in base.items()} == {"sst2": 0.948, "qnli": 0.928, "mnli": 0.876}
    assert {v[1] for v in base.values()} == {"fairseq RoBERTa README, dev set"}
    # Table 1's RoBERTa-Large column is the paper config's reference_scores.roberta_large.
    paper = yaml.safe_load((REPO / "configs/paper.yaml").read_text())
    for task, value in paper["reference_scores"]["roberta_large"].items():
        assert published_score("roberta-large", task)[0] == value
    for hub, task in [("facebook/bart-large", "mawps"), ("facebook/mbart-large-cc25", "opus100"),
                      ("lmsys/vicuna-7b-v1.3", "triviaqa"), (None, "sst2")]:  # fmt: skip
        assert published_score(hub, task) is None


def test_a_dense_run_far_below_its_published_score_leaves_the_claims():
    table = gates_table(planted(), SETTINGS, None, published_tolerance=0.03)
    by = table.set_index(["setting", "task", "difficulty"])
    gate = by["gate_published"]
    assert gate[("across_tasks", "sst2", "task-all")] is False
    assert gate[("across_tasks", "cola", "task-all")] is True  # 0.63 vs 0.649: within 0.03
    assert gate[("across_tasks", "qnli", "task-all")] is True
    assert gate[("data_fraction", "sst2", "fraction-1")] is True
    assert gate[("data_fraction", "sst2", "fraction-0.1")] is None  # judged at 100% only
    # A broken baseline at 100% taints the task's smaller fractions (the same recipe).
    assert gate[("data_fraction", "mnli", "fraction-1")] is False
    assert gate[("data_fraction", "mnli", "fraction-0.1")] is False
    assert gate[("across_tasks", "mawps", "task-all")] is None  # unchecked: BART has none
    assert by.loc[("across_tasks", "sst2", "task-all"), "published"] == 0.962
    # Every other gate passes: the published gate alone excludes them.
    assert by["gate_headroom"].all()
    failing = {k for k, ok in by["passed"].items() if not ok}
    assert failing == {("across_tasks", "sst2", "task-all"), ("data_fraction", "mnli",
                       "fraction-1"), ("data_fraction", "mnli", "fraction-0.1")}  # fmt: skip
    # The verdict drops every run of those levels and lists them with the gate they failed.
    runs = planted().assign(mode="sparse")
    drop, listed = failed_levels(runs, table)
    assert set(map(tuple, runs[drop][["setting", "task", "difficulty"]].to_numpy())) == failing
    assert {(e["setting"], e["task"], e["difficulty"]): e["failed"] for e in listed} == {
        key: ["published"] for key in failing
    }
    page = gates_markdown(table)
    assert "Below the published dev score" in page and "sst2 task-all (dense 0.8" in page
    assert "Unchecked (no published dev score of the model): across_tasks/mawps." in page


def test_the_tolerance_is_the_configs():
    lenient = gates_table(planted(), SETTINGS, None, published_tolerance=0.2)
    assert lenient["gate_published"].map(lambda g: g is not False).all()
    with pytest.raises(ValueError, match="published_tolerance"):
        from pipeline.analysis.options import Analysis

        Analysis.from_dict({"published_tolerance": -0.1})


def test_a_model_trained_further_is_not_checked_against_its_bases_score():
    frame = planted()
    continued = json.dumps({"hub_id": HUB["roberta_large"], "continued_training": {"steps": 3}})
    frame.loc[frame["task"] == "sst2", "model_staged_json"] = continued
    table = gates_table(frame, SETTINGS, None)
    assert table.loc[table["task"] == "sst2", "gate_published"].map(lambda g: g is None).all()
