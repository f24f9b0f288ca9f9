"""The difficulty gates: a level passes only with headroom over chance and, where the task
needs pre-trained knowledge, over the from-scratch control; a level under its gate fails."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from pipeline.analysis.gates import gates_markdown, gates_table, standard_error
from pipeline.finetune.protocol import Protocol
from pipeline.tasks.chance import chance_level
from pipeline.tasks.registry import get_task
from pipeline.world import build_world
from tests.conftest import TINY_SIZE, TINY_WORLD, tiny_run

SETTINGS = {
    "data_fraction": {
        "model": "m",
        "control_model": "m_scratch",
        "tasks": ["syn_factcheck", "syn_grammar"],
        "fractions": [1.0],
    }
}


def _row(model, task, value, seed, n_eval=48, metric="accuracy"):
    return {
        "setting": "data_fraction",
        "model": model,
        "task": task,
        "difficulty": "fraction-1",
        "compression": "dense",
        "mode": "dense",
        "seed": seed,
        "metric": metric,
        "value": value,
        "n_eval": n_eval,
        "reference_score": 0.9,
    }


def test_chance_is_the_majority_class_and_mcc_zero(tiny_world):
    task = get_task("syn_factcheck")
    rows = task.load_split("validation", tiny_world)
    labels = [r["label"] for r in rows]
    majority = max(labels.count(0), labels.count(1)) / len(labels)
    assert chance_level(task, rows) == pytest.approx(majority)
    grammar_rows = [{"sentence": "a b", "label": i % 2} for i in range(10)]
    assert chance_level(get_task("syn_grammar"), grammar_rows) == 0.0


def test_standard_errors():
    assert standard_error("accuracy", 0.5, 100, [0.5]) == pytest.approx(0.05)
    assert standard_error("mcc", 0.0, 101, [0.0]) == pytest.approx(0.1)
    assert math.isnan(standard_error("bleu", 10.0, 100, [10.0]))
    assert standard_error("bleu", 10.0, 100, [9.0, 11.0]) == pytest.approx(1.0)


def test_gates_pass_with_headroom_and_fail_without(tiny_world):
    task = get_task("syn_factcheck")
    chance = chance_level(task, task.load_split("validation", tiny_world))
    se = math.sqrt(0.25 / 48)
    good = chance + 6 * se  # about 0.9: headroom and a clear lead over scratch
    rows = [_row("m", "syn_factcheck", good, s) for s in (0, 1)]
    rows += [_row("m_scratch", "syn_factcheck", chance, s) for s in (0, 1)]
    table = gates_table(pd.DataFrame(rows), SETTINGS, tiny_world)
    (level,) = table.to_dict("records")
    assert level["chance"] == pytest.approx(chance)
    assert level["headroom_se"] > 5 and level["gate_headroom"]
    assert level["gate_pretraining"] and level["passed"]

    # Under the headroom gate: dense only 2 SE above chance.
    low = [dict(r, value=chance + 2 * se) if r["model"] == "m" else r for r in rows]
    level = gates_table(pd.DataFrame(low), SETTINGS, tiny_world).iloc[0]
    assert not level["gate_headroom"] and not level["passed"]

    # analysis.headroom_se sets the gate: the same level fails a gate one SE above its
    # headroom, and the table's Markdown states the gate it was judged by.
    gate = math.ceil(table.iloc[0]["headroom_se"]) + 1
    strict = gates_table(pd.DataFrame(rows), SETTINGS, tiny_world, min_headroom_se=gate)
    assert not strict.iloc[0]["gate_headroom"] and not strict.iloc[0]["passed"]
    assert f"dense >= chance + {gate} SE" in gates_markdown(strict, gate)

    # Headroom, but no lead over scratch on a task that needs pre-trained knowledge.
    tied = [dict(r, value=good) for r in rows]
    level = gates_table(pd.DataFrame(tied), SETTINGS, tiny_world).iloc[0]
    assert level["gate_headroom"] and level["gate_pretraining"] in (False,)
    assert not level["passed"]
    assert "Excluded from the claims" in gates_markdown(
        gates_table(pd.DataFrame(tied), SETTINGS, tiny_world)
    )


def test_a_task_that_needs_no_pretraining_is_judged_on_headroom_only(grammar_world):
    rows = [
        _row("m", "syn_grammar", 0.8, 0, metric="mcc"),
        _row("m_scratch", "syn_grammar", 0.8, 0, metric="mcc"),
    ]
    level = gates_table(pd.DataFrame(rows), SETTINGS, grammar_world).iloc[0]
    assert level["chance"] == 0.0
    assert level["gate_pretraining"] is None and level["passed"]


def test_zero_shot_and_fine_tuned_runs_of_a_level_are_judged_apart_with_chrf_beside(
    tiny_world,
):
    """A zero-shot level that fails is listed on its own, never averaged into the
    fine-tuned level of the same difficulty; chrF is shown beside BLEU with its chance."""
    settings = {
        "languages": {
            "model": "m",
            "task": "syn_translation",
            "pivot": "maj_a",
            "groups": {"minority": ["min_b", "min_c"]},
        }
    }
    task = get_task("syn_translation").configure("lang-minority", settings["languages"])
    rows = task.load_split("validation", tiny_world)
    chance = chance_level(task, rows)
    base = {**_row("m", "syn_translation", 0.0, 0, n_eval=len(rows), metric="bleu")}
    base |= {"setting": "languages", "difficulty": "lang-minority", "chance": chance}
    runs = [
        {**base, "mode": "zero_shot", "value": chance / 2, "metric_chrf": 30.0},
        {**base, "mode": "dense", "seed": 0, "value": 60.0, "metric_chrf": 80.0},
        {**base, "mode": "dense", "seed": 1, "value": 62.0, "metric_chrf": 81.0},
    ]
    table = gates_table(pd.DataFrame(runs), settings, tiny_world)
    by_regime = table.set_index("regime")
    assert sorted(by_regime.index) == ["fine_tuned", "zero_shot"]
    assert by_regime.loc["fine_tuned", "dense"] == pytest.approx(61.0)
    assert by_regime.loc["fine_tuned", "passed"] and not by_regime.loc["zero_shot", "passed"]
    assert by_regime.loc["zero_shot", "chrf"] == pytest.approx(30.0)
    chrf_chance = by_regime.loc["zero_shot", "chrf_chance"]
    assert 0 < chrf_chance < 100 and chrf_chance != pytest.approx(chance)
    assert "syn_translation lang-minority (zero_shot)" in gates_markdown(table)


@pytest.fixture(scope="module")
def grammar_world(tmp_path_factory):
    out = tmp_path_factory.mktemp("grammar") / "world"
    tasks = {"syn_grammar": {"train": 400, "validation": 200, "noise": 0.0}}
    build_world({**TINY_WORLD, "tasks": tasks}, out)
    return out


@pytest.fixture(scope="module")
def fresh_model(grammar_world, tmp_path_factory):
    from pipeline.models.sources import stage_scratch

    out = tmp_path_factory.mktemp("model")
    spec = {"arch": "roberta", "size": TINY_SIZE, "pretrain": {"max_length": 24, "seed": 0}}
    stage_scratch(spec, grammar_world, out)
    return out


def _grammar_level(world, model, steps, tmp_path):
    from pipeline.examples import read_examples

    protocol = Protocol(lr=0.005, steps=steps, batch_size=32, max_length=24, seed=0)
    examples_path = tmp_path / f"examples-{steps}.parquet"
    record = tiny_run(
        model,
        world,
        "dense",
        "dense",
        model_name="m",
        task_name="syn_grammar",
        protocol=protocol,
        examples_path=examples_path,
    )
    results = pd.DataFrame([record])
    keys = ["setting", "model", "task", "difficulty", "compression", "mode", "seed"]
    examples = read_examples(examples_path).assign(**{k: record[k] for k in keys})
    analytic = gates_table(results, SETTINGS, world).iloc[0]
    bootstrapped = gates_table(results, SETTINGS, world, examples=examples).iloc[0]
    return analytic, bootstrapped


def test_a_real_dense_run_passes_its_gate_and_an_untrained_one_fails(
    grammar_world, fresh_model, tmp_path
):
    trained, bootstrapped = _grammar_level(grammar_world, fresh_model, 150, tmp_path)
    assert trained["dense"] > 0.5 and trained["passed"], trained.to_dict()
    # The bootstrap over evaluation examples agrees with the large-sample formula.
    assert bootstrapped["se"] == pytest.approx(trained["se"], rel=0.5)
    assert bootstrapped["passed"]
    untrained, bootstrapped = _grammar_level(grammar_world, fresh_model, 1, tmp_path)
    assert not untrained["passed"] and not bootstrapped["passed"], untrained.to_dict()


def test_a_reversed_difficulty_order_fails_the_harder_level_and_leaves_the_claims(tiny_world):
    """The harder level of a named axis may not beat the easier one beyond noise (a book
    model that cannot read scored closed above open book, and both cleared chance); the
    verdict then drops every run of the failed level."""
    from pipeline.analysis.gates import failed_levels

    settings = {"data_fraction": {**SETTINGS["data_fraction"], "fractions": [0.25, 1.0]}}
    se = math.sqrt(0.25 / 400)

    def table(easy, hard):
        rows = [_row("m", "syn_factcheck", easy, s, n_eval=400) for s in (0, 1)]
        rows += [dict(r, difficulty="fraction-0.25", value=hard) for r in rows]
        rows += [_row("m_scratch", "syn_factcheck", 0.4, s) for s in (0, 1)]
        return gates_table(pd.DataFrame(rows), settings, tiny_world).set_index("difficulty")

    ordered = table(0.95, 0.85)
    assert ordered.loc["fraction-0.25", "easier"] == "fraction-1"
    assert ordered.loc["fraction-0.25", "contrast_se"] > 0
    assert ordered.loc["fraction-0.25", "gate_order"] is True
    assert ordered.loc["fraction-1", "gate_order"] is None  # the easiest level: unjudged
    assert ordered["passed"].all()

    within_noise = table(0.90, 0.90 + se)  # reversed by well under 2 SE of the difference
    assert within_noise.loc["fraction-0.25", "gate_order"] is True

    reversed_ = table(0.80, 0.95)
    assert reversed_.loc["fraction-0.25", "contrast_se"] < -2
    assert reversed_.loc["fraction-0.25", "gate_order"] is False
    assert not reversed_.loc["fraction-0.25", "passed"] and reversed_.loc["fraction-1", "passed"]

    runs = pd.DataFrame(
        [
            {"setting": "data_fraction", "task": "syn_factcheck", "difficulty": d, "mode": m}
            for d in ("fraction-1", "fraction-0.25")
            for m in ("dense", "sparse", "sparse")
        ]
    )
    drop, listed = failed_levels(runs, reversed_.reset_index())
    kept = runs[~drop]
    assert set(kept["difficulty"]) == {"fraction-1"} and len(kept) == 3
    assert listed == [
        {
            "setting": "data_fraction",
            "task": "syn_factcheck",
            "difficulty": "fraction-0.25",
            "regime": "fine_tuned",
            "failed": ["order"],
            "n_rows": 3,
            "pretrain_seed": None,  # pre-training not replicated
        }
    ]
    # Through the CSV the verdict reads: the same levels fail.
    import io

    csv = io.StringIO()
    reversed_.reset_index().to_csv(csv, index=False)
    csv.seek(0)
    assert failed_levels(runs, pd.read_csv(csv))[1] == listed
    # verdict.json carries the table with nulls, never NaN (strict JSON readers reject it).
    import json

    from pipeline.analysis.verdict import _records

    json.dumps(_records(reversed_.reset_index()), allow_nan=False)
