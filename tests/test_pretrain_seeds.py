"""Replicated pre-training: ``pretrain.seeds`` makes one model instance per seed, with its
own path component (``models/<name>/p<seed>`` and every path below it), its own scratch
control and a ``pretrain_seed`` column in every row; real dry runs and a real tiny study."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipeline.config import check_config, model_spec
from pipeline.instances import entry, instances, paired, split
from pipeline.overrides import study_config
from pipeline.resolve import ConfigError
from tests.conftest import TINY_PRETRAIN, job_counts, snakemake, snakemake_dry_run, tiny_study

REPO = Path(__file__).resolve().parents[1]
SEEDS = [0, 1, 2]


def seeded_study(results: Path, seeds: list[int] = SEEDS) -> dict:
    """The tiny study with model ``m`` pre-trained under ``seeds`` and its scratch control."""
    config = tiny_study(results, [0.6], ["dense", "sparse"], [0], [1.0])
    pretrain = {k: v for k, v in TINY_PRETRAIN.items() if k != "seed"}
    config["models"]["m"]["pretrain"] = {**pretrain, "seeds": seeds}
    config["models"]["m_scratch"] = {"source": "scratch", "of": "m"}
    config["settings"]["data_fraction"]["control_model"] = "m_scratch"
    return config


def test_instances_carry_their_seed_and_controls_follow_their_base(tmp_path):
    config = seeded_study(tmp_path / "results")
    assert instances(config, "m") == ["m/p0", "m/p1", "m/p2"]
    assert instances(config, "m_scratch") == ["m_scratch/p0", "m_scratch/p1", "m_scratch/p2"]
    assert split("m/p2") == ("m", 2) and split("roberta-base") == ("roberta-base", None)
    assert entry(config, "m/p1")["pretrain"]["seed"] == 1
    assert "seeds" not in entry(config, "m/p1")["pretrain"]
    # the scratch control of pre-training seed 2 is initialised with seed 2
    scratch = model_spec(config, "m_scratch/p2")
    assert scratch["source"] == "scratch" and scratch["pretrain"]["seed"] == 2
    assert paired(config, "m", "m_scratch")[1] == ("m/p1", ["m_scratch/p1"])
    # a model pre-trained once is one instance under its own name
    single = tiny_study(tmp_path, [0.6], ["dense"], [0], [1.0])
    assert instances(single, "m") == ["m"]


def test_implants_follow_their_base_seed():
    import yaml

    config = yaml.safe_load((REPO / "configs/control.yaml").read_text())
    pretrain = config["models"]["base"]["pretrain"]
    pretrain["seeds"] = [3, 4]
    del pretrain["seed"]
    assert instances(config, "implant_small") == ["implant_small/p3", "implant_small/p4"]
    assert entry(config, "implant_small/p4")["of"] == "base/p4"


def _checked(tmp_path: Path, config: dict) -> None:
    import yaml

    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(config))
    check_config(study_config(REPO / "config.yaml", [str(path)], {}))


def test_seed_and_seeds_together_is_a_one_line_error_naming_the_key(tmp_path):
    config = seeded_study(tmp_path / "results")
    both = copy.deepcopy(config)
    both["models"]["m"]["pretrain"]["seed"] = 0
    with pytest.raises(ConfigError) as err:
        _checked(tmp_path, both)
    assert str(err.value) == (
        "config key 'models.m.pretrain' sets seed and seeds; allowed: exactly one of seed, seeds"
    )
    neither = copy.deepcopy(config)
    del neither["models"]["m"]["pretrain"]["seeds"]
    with pytest.raises(ConfigError, match=r"'models\.m\.pretrain' sets none; allowed: exactly"):
        _checked(tmp_path, neither)


def test_lmc_cell_names_an_existing_pretrain_seed(tmp_path):
    config = seeded_study(tmp_path / "results")
    cell = {"setting": "data_fraction", "task": "syn_sentiment", "fraction": 1.0}
    cell.update({"method": "magnitude", "sparsity": 0.6, "seed": 0, "pretrain_seed": 7})
    config["lmc"] = {"alphas": 3, "cells": [cell]}
    with pytest.raises(ConfigError, match=r"lmc\.cells\[0\]\.pretrain_seed.*7.*\[0, 1, 2\]"):
        _checked(tmp_path, config)


def test_dry_run_plans_three_pretrainings_and_the_runs_under_each(tmp_path):
    import yaml

    config = seeded_study(tmp_path / "results")
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(config))
    run = snakemake_dry_run(tmp_path, "all", "--configfile", str(path))
    assert run.returncode == 0, run.stderr[-3000:]
    counts = job_counts(run.stdout)
    # m and its scratch control, three instances each; one mask per instance
    assert counts["stage_model"] == 6 and counts["prune"] == 3
    # per instance: dense, sparse and the control's dense run (one seed, one fraction)
    assert counts["finetune"] == 9
    staged = set(re.findall(r"models/(m(?:_scratch)?/p\d)\b", run.stdout))
    assert staged == {f"{m}/p{s}" for m in ("m", "m_scratch") for s in SEEDS}
    for seed in SEEDS:
        assert f"masks/m/p{seed}/magnitude-0.6/mask.npz" in run.stdout
        assert f"runs/m/p{seed}/syn_sentiment/fraction-1/magnitude-0.6/sparse/seed0" in run.stdout
        assert f"runs/m_scratch/p{seed}/syn_sentiment/fraction-1/dense/dense/seed0" in run.stdout


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("seeded")
    config = seeded_study(workdir / "results")
    run = snakemake(workdir, config, "all", "all_figures")
    assert run.returncode == 0, run.stderr[-3000:]
    return workdir, config


@pytest.mark.workflow
def test_rows_split_the_instance_into_model_and_pretrain_seed(finished):
    _, config = finished
    results = Path(config["results_dir"])
    table = pq.read_table(results / "tables/results.parquet").to_pandas()
    assert set(table["model"]) == {"m", "m_scratch"}
    assert sorted(table["pretrain_seed"].unique()) == SEEDS
    assert table.groupby("pretrain_seed").size().to_dict() == {0: 3, 1: 3, 2: 3}
    examples = pq.read_table(results / "tables/examples.parquet").to_pandas()
    assert sorted(examples["pretrain_seed"].unique()) == SEEDS
    # every instance was pre-trained with its own seed: the dense scores are not copies
    dense = table[(table["model"] == "m") & (table["compression"] == "dense")]
    assert dense["value"].nunique() > 1 or dense["loss"].nunique() == 3
    gates = pd.read_csv(results / "tables/gates.csv")
    assert sorted(gates["pretrain_seed"]) == SEEDS
    assert (gates["n_items"] > 0).all() and (gates["se"] > 0).all()
    markdown = (results / "tables/gates.md").read_text()
    header = markdown.split("\n| ")[1].split(" |\n")[0].split(" | ")
    assert {"pretrain_seed", "n_items", "se"} <= set(header), header


@pytest.mark.workflow
def test_forcerun_of_one_instance_cell_reruns_only_it(finished):
    workdir, config = finished
    results = Path(config["results_dir"])
    metrics = results / "runs/m/p1/syn_sentiment/fraction-1/magnitude-0.6/sparse/seed0/metrics.json"
    assert metrics.exists()
    run = snakemake(workdir, config, str(metrics), "-n", "--forcerun", str(metrics))
    assert run.returncode == 0, run.stderr[-3000:]
    assert job_counts(run.stdout) == {"finetune": 1}
    assert "runs/m/p1/" in run.stdout and "runs/m/p0/" not in run.stdout
