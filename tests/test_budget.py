"""The training budget as a path component, and claim (c)'s irreversibility judged on it.

A setting's ``budgets`` arm reruns some modes at a multiple of the protocol's optimizer
steps, each cell and seed with a dense run of the same budget; 1x runs keep their paths.
Claim (c) reads the arm: the harder level's sparse-to-dense deficit at the larger budget
minus at 1x, not smaller than -margin. Planted on simulated tables: an irreversible deficit
holds, a deficit that the larger budget recovers does not.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline import load, paths, resolve
from pipeline.analysis import simulate
from pipeline.analysis.claims import FAILS, HOLDS
from pipeline.analysis.options import Analysis
from pipeline.analysis.tables import normalize
from pipeline.analysis.verdict import evaluate
from pipeline.overrides import study_config
from pipeline.resolve import ConfigError
from pipeline.study import cells
from tests.conftest import REPO, snakemake_dry_run
from tests.run_specs import finetune_specs

ANALYSIS = Analysis(bootstrap_resamples=399, min_seeds=2)
HARD, EASY = simulate.HARD, "fraction-1"


def merged_default(overrides: dict | None = None) -> dict:
    """config.yaml as the Snakefile merges it, with ``overrides``."""
    return study_config(REPO / "config.yaml", [], overrides or {})


# --- paths, cells, protocol -------------------------------------------------------------------


def test_a_1x_run_keeps_its_path_and_a_larger_budget_has_a_folder_of_its_own():
    wc = dict(model="m", task="t", difficulty="fraction-1", compression="magnitude-0.9",
              mode="sparse_to_dense", seed=3)  # fmt: skip
    one = paths.RUN.format(**wc, budget=paths.budget_component(1.0))
    assert one == "runs/m/t/fraction-1/magnitude-0.9/sparse_to_dense/seed3"
    four = paths.RUN.format(**wc, budget=paths.budget_component(4.0))
    assert four == "runs/m/t/fraction-1/magnitude-0.9/sparse_to_dense/budget-4x/seed3"
    assert [paths.budget_of(paths.budget_component(b)) for b in (1, 2.5, 4)] == [1, 2.5, 4]


def test_the_default_study_runs_the_4x_arm_with_its_own_dense_runs():
    config = merged_default()
    study = cells(config)
    arm = [c for c in study if c.budget != 1.0]
    assert {c.setting for c in arm} == {"languages"}
    assert {c.mode for c in arm} == {"dense", "sparse_to_dense"}
    assert {c.compression for c in arm if c.mode != "dense"} == {"magnitude-0.7", "magnitude-0.9"}
    # every 4x run has a 4x dense run of its cell and seed, and a 1x twin
    dense = {(c.task, c.difficulty, c.seed) for c in arm if c.mode == "dense"}
    assert {(c.task, c.difficulty, c.seed) for c in arm} == dense
    base = {(c.setting, c.task, c.difficulty, c.compression, c.mode, c.seed) for c in study
            if c.budget == 1.0}  # fmt: skip
    assert all((c.setting, c.task, c.difficulty, c.compression, c.mode, c.seed) in base
               for c in arm)  # fmt: skip
    n_seeds = len(config["seeds"])
    assert len(arm) == 2 * n_seeds * 2 + 2 * n_seeds  # levels x seeds x sparsities, + dense
    # the four transfer modes on the languages (knowledge) axis
    languages = {c.mode for c in study if c.setting == "languages" and c.budget == 1.0}
    assert {"dense", "sparse", "sparse_to_dense", "dense_freeze", "zero_shot"} == languages
    # paths are unique: no 4x run writes over a 1x one
    run_paths = [c.path(paths.METRICS, "r") for c in study]
    assert len(run_paths) == len(set(run_paths))


def test_the_budget_multiplies_the_protocols_steps_or_epochs():
    config = merged_default()
    assert resolve.protocol_for(config, "languages", "syn_translation")["steps"] == 75
    assert resolve.protocol_for(config, "languages", "syn_translation", 4.0)["steps"] == 300
    config["settings"]["languages"]["protocol"] = {"epochs": 3}
    scaled = resolve.protocol_for(config, "languages", "syn_translation", 2.0)
    assert scaled["epochs"] == 6 and "steps" not in scaled


@pytest.mark.parametrize(
    "budgets, named",
    [
        ({"4": {"modes": ["sparse_to_dense"]}}, "budgets.4': '4' does not match"),
        ({"1x": {"modes": ["sparse_to_dense"]}}, "budgets.1x': a budget is a factor other"),
        ({"4x": {"modes": ["qat"]}}, "budgets.4x.modes[0]': 'qat' is not one of"),
        ({"4x": {"mode": ["sparse"]}}, "budgets.4x.mode' is not a known key"),
    ],
)
def test_a_bad_budget_is_named_in_one_line(budgets, named):
    from pipeline.config import check_config

    with pytest.raises(ConfigError) as err:
        check_config(merged_default({"settings": {"languages": {"budgets": budgets}}}))
    assert named in str(err.value) and "\n" not in str(err.value)


def test_the_dry_run_plans_the_4x_cells_and_their_dense_run(tmp_path):
    run = "results/default/runs/tiny_mbart/syn_translation/lang-minority/{}/budget-4x/seed0"
    targets = [run.format(c) + "/metrics.json" for c in
               ("magnitude-0.9/sparse_to_dense", "dense/dense")]  # fmt: skip
    done = snakemake_dry_run(tmp_path, *targets, "-p")
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout + done.stderr
    for target in targets:
        assert target in out
    specs = [spec for spec in finetune_specs(out) if spec["budget"] == 4]
    assert len(specs) == 2  # both runs, trained at 4x: 300 steps of the setting's 75
    assert all(spec["protocol"]["steps"] == 300 for spec in specs)
    assert "budget-4x/seed0.log" in out


# --- loading ---------------------------------------------------------------------------------


def test_a_record_written_before_budgets_loads_at_1x(tmp_path):
    record = {
        "study": "s", "setting": "languages", "model": "m", "task": "t",
        "difficulty": "lang-minority", "compression": "dense", "method": "dense",
        "level": "0", "mode": "dense", "seed": 0, "protocol_hash": "h",
        "metric": "accuracy", "value": 0.5,
    }  # fmt: skip
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps(record))
    assert load.record(path)["budget"] == 1.0
    path.write_text(json.dumps({**record, "budget": 4.0}))
    assert load.record(path)["budget"] == 4.0
    pd.DataFrame([record]).to_parquet(tmp_path / "old.parquet")
    assert load.parquet(tmp_path / "old.parquet")["budget"].tolist() == [1.0]


# --- normalization and claim (c) on simulated tables with a planted truth ---------------------


def _study(recovered: bool, arm: bool = True, seed: int = 0) -> tuple:
    """A simulated study (simulate.skeleton: two settings, easier/harder level, five seeds)
    with a 4x arm of dense and sparse-to-dense runs. Planted at 4x: the same deficit as at
    1x (irreversible), or, ``recovered``, the harder level's deficit cut to the easier's."""
    effects = simulate.Effects()
    design = simulate.skeleton(seeds=5).assign(budget=1.0)
    if arm:
        four = design[design["mode"].isin(["dense", "sparse_to_dense"])
                      & design["method"].isin(["dense", "magnitude"])]  # fmt: skip
        design = pd.concat([design, four.assign(budget=4.0, protocol_hash="p4")])
    design = design.reset_index(drop=True)
    accuracy = simulate.true_accuracy(design, effects)
    if recovered:
        lift = (design["budget"].eq(4.0) & design["mode"].eq("sparse_to_dense")
                & design["difficulty"].eq(HARD)).to_numpy()  # fmt: skip
        dense = design["difficulty"].map(simulate.LEVELS).to_numpy(dtype=float)
        g = 1 - effects.s2d_easy * design["x"].to_numpy(dtype=float)
        accuracy = np.where(lift, simulate.CHANCE + (dense - simulate.CHANCE) * g, accuracy)
    noise = simulate.Noise()
    values, correct = simulate.draw(np.random.default_rng(seed), design, accuracy, noise=noise)
    examples = simulate.examples_frame(design, correct, noise.per_item)
    examples["budget"] = np.repeat(design["budget"].to_numpy(), correct.shape[1])
    return normalize(design.assign(value=values)), examples


def _claims(normalized, examples) -> dict:
    return {c.key: c for c in evaluate(normalized, examples, ANALYSIS)[0]}


def test_a_larger_budget_is_normalized_by_its_own_dense_run():
    normalized, _ = _study(recovered=False)
    four = normalized[normalized["budget"].eq(4.0)]
    s2d = four[four["mode"].eq("sparse_to_dense")]
    dense = four[four["mode"].eq("dense")].set_index(["setting", "difficulty", "seed"])["value"]
    expected = (
        s2d["value"].to_numpy()
        / dense.loc[
            list(zip(s2d["setting"], s2d["difficulty"], s2d["seed"], strict=True))
        ].to_numpy()
    )
    assert np.allclose(s2d["normalized"], expected)


@pytest.fixture(scope="module")
def irreversible():
    return _claims(*_study(recovered=False))


def test_a_planted_irreversible_deficit_holds(irreversible):
    c = irreversible["c"].by_normalization["chance"]
    assert irreversible["c"].verdict == HOLDS, irreversible["c"].reason
    part = next(p for p in c.parts if p["statistic"].startswith("irreversibility"))
    margin = ANALYSIS.margin["chance"]
    # planted change 0: the statistic sits at the margin, its lower bound above 0
    assert part["mean"] == pytest.approx(margin, abs=0.03)
    assert part["lower_bound"] > 0
    assert len(c.parts) == 3  # deficit gap, dense_freeze contrast, irreversibility
    assert {s["setting"] for s in c.settings} == {"s_syn_a", "s_syn_b"}


def test_a_deficit_the_larger_budget_recovers_does_not_hold():
    claims = _claims(*_study(recovered=True))
    c = claims["c"]
    assert c.verdict == FAILS, c.reason
    assert "irreversibility" in c.reason
    part = next(p for p in c.by_normalization["chance"].parts
                if p["statistic"].startswith("irreversibility"))  # fmt: skip
    # planted: the harder level's deficit shrinks by (0.5 - 0.05) x mean sparsity 0.5
    assert part["mean"] - ANALYSIS.margin["chance"] == pytest.approx(-0.225, abs=0.05)
    assert part["upper_bound"] < ANALYSIS.margin["chance"]


def test_the_other_claims_read_the_1x_protocol_only(irreversible):
    normalized, examples = _study(recovered=False)
    one = normalized["budget"].eq(1.0)
    without = _claims(normalized[one], examples[examples["budget"].eq(1.0)])
    for key in "abde":
        with_arm = irreversible[key].by_normalization["chance"].estimate
        alone = without[key].by_normalization["chance"].estimate
        assert with_arm.value == pytest.approx(alone.value), key
        assert irreversible[key].verdict == without[key].verdict, key
    assert "irreversibility is not tested" in without["c"].reason


def test_the_schema_and_loader_carry_budget_through_the_examples_table():
    from pipeline.examples import KEYS

    assert "budget" in KEYS.names


def test_the_config_reference_documents_budgets():
    text = (Path(REPO) / "docs" / "config.md").read_text()
    assert "budgets" in text and "budget-4x" in text


def test_a_4x_job_asks_for_4x_the_training_time():
    from pipeline.cluster import resources, walltime

    config = merged_default()
    planned = resources.install(config)
    wc = dict(model="tiny_mbart", task="syn_translation", difficulty="lang-minority",
              compression="magnitude-0.9", mode="sparse_to_dense", seed=0)  # fmt: skip
    one = walltime.estimate_minutes(planned, "finetune", {**wc, "budget": ""})
    four = walltime.estimate_minutes(planned, "finetune", {**wc, "budget": "/budget-4x"})
    training = walltime.training_minutes(
        planned, "tiny_mbart", "syn_translation", "lang-minority", "languages"
    )
    assert four - one == pytest.approx(3 * training) and training > 0


def test_a_finished_workflow_sweeps_the_kept_results_of_a_4x_run(tmp_path):
    from pipeline.finetune import retain

    runs = tmp_path / "runs"
    cell = "m/t/lang-minority/magnitude-0.9/sparse_to_dense"
    folders = [runs / cell / "seed0", runs / cell / "budget-4x" / "seed0"]
    for folder in folders:
        (folder / retain.DONE).mkdir(parents=True)
        for where in (folder, folder / retain.DONE):
            (where / "metrics.json").write_text("{}")
    retain.sweep(runs, finished=True)
    assert [(f / retain.DONE).exists() for f in folders] == [False, False]
