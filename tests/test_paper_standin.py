"""configs/paper.yaml itself, end to end on CPU, on stand-ins in the real repositories'
layouts: every setting, LMC, figures and verdict.

Only two things differ from the cluster run. ``hub_mirror`` maps every hub id of the
paper config to a local stand-in (pipeline/data/standins.py,
pipeline/staging/standins.py: tiny models and data sets, built here, offline), and
configs/paper_standin.yaml shrinks sizes and the grid's breadth (its header lists each
reduction; fp32 on CPU) while keeping every setting, model, data set, method (the random
control and RTN too), mode, rule, figure, both kinds of LMC and the verdict. Every Python
process the workflow starts logs its verb and offline switches (a sitecustomize on
PYTHONPATH), so the test sees that only staging was online.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.conftest import paper, run_snakemake

REPO = Path(__file__).resolve().parents[1]
STAGING_VERBS = {"stage-data", "stage-model"}
ENV_LOGGER = """\
import json, os, sys
if os.environ.get("JUNKDNA_ENV_LOG") and sys.orig_argv[1:3] == ["-m", "pipeline"]:
    with open(os.environ["JUNKDNA_ENV_LOG"], "a") as fh:
        fh.write(json.dumps({"verb": sys.orig_argv[3], "env": {k: os.environ.get(k) for k in
                 ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE")}}) + "\\n")
"""


@pytest.fixture(scope="module")
def standin_run(tmp_path_factory):
    from pipeline.data.standins import build_mirror
    from pipeline.tasks.glue import GLUE_TASKS

    root = tmp_path_factory.mktemp("paper_standin")
    mirror = build_mirror(root / "mirror", GLUE_TASKS)
    (root / "site").mkdir()
    (root / "site" / "sitecustomize.py").write_text(ENV_LOGGER)
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": os.pathsep.join([str(REPO), str(root / "site")]),
        "JUNKDNA_ENV_LOG": str(root / "env.jsonl"),
        # The workflow, not the caller, must keep the compute jobs offline.
        "HF_HUB_OFFLINE": "0",
        "HF_DATASETS_OFFLINE": "0",
        "TRANSFORMERS_OFFLINE": "0",
    }
    start = time.time()
    proc = run_snakemake(
        root,
        *[
            "--cores",
            "2",
            # The greedy scheduler: the default ILP one starts a solver for every round of
            # ~300 short jobs (~6% of the run's CPU here); the jobs and results are the same.
            "--scheduler",
            "greedy",
            "all_figures",
            "--configfile",
            str(REPO / "configs/paper.yaml"),
            str(REPO / "configs/paper_standin.yaml"),
            "--config",
            f"hub_mirror={mirror}",
            "results_dir=results",
        ],  # fmt: skip
        env=env,
        timeout=1800,
    )
    elapsed = time.time() - start
    assert proc.returncode == 0, proc.stderr[-4000:]
    print(f"stand-in paper study: {elapsed:.0f} s")
    return root / "results", root / "env.jsonl", proc.stderr


# A real Snakemake run of ~300 jobs (the warm worker runs them): a few minutes on 2 cores.
# The random stand-ins score 0 on the generation tasks; those levels leave the claims,
# listed (pipeline/analysis/undefined_ratio.py), and everything else runs as on the hub.
pytestmark = pytest.mark.workflow


def standin_config() -> dict:
    """The config the run sees: paper.yaml, then the stand-in sizes (Snakemake's merge)."""
    from snakemake.utils import update_config

    config = paper()
    update_config(config, yaml.safe_load((REPO / "configs/paper_standin.yaml").read_text()))
    return {**config, "results_dir": "results"}


def test_every_setting_has_rows(standin_run):
    from pipeline import study, targets

    results, _, _ = standin_run
    config = standin_config()
    table = pd.read_parquet(results / "tables/results.parquet")
    assert set(table["setting"]) == set(config["settings"])
    # One row per planned run of every setting, every mode each setting plans.
    planned = pd.DataFrame([{"setting": c.setting, "mode": c.mode} for c in study.cells(config)])
    assert table["setting"].value_counts().to_dict() == planned["setting"].value_counts().to_dict()
    for setting, modes in planned.groupby("setting")["mode"]:
        assert set(table.loc[table["setting"] == setting, "mode"]) == set(modes), setting
    assert len(pd.read_parquet(results / "tables/lmc.parquet")) > 0
    drawn = targets.figure_targets(study.Study.from_config(config))  # figures, verdict, tables
    planned = study.Study.from_config({**paper(), "results_dir": "results"})
    assert drawn == targets.figure_targets(planned)
    for target in drawn:
        assert (results.parent / target).stat().st_size > 0, target
    # Every row names the pinned revision of its model (as configured) and its staged data.
    # (a continued model records the revision of the staged model it started from).
    models = config["models"]
    revisions = {name: models[m.get("of", name)]["revision"] for name, m in models.items()}
    assert (table["model_revision"] == table["model"].map(revisions)).all()
    assert table["data_staged_json"].notna().all()


def test_levels_without_a_ratio_are_listed_not_dropped(standin_run):
    results, _, _ = standin_run
    normalized = pd.read_parquet(results / "tables/normalized.parquet")
    results_table = pd.read_parquet(results / "tables/results.parquet")
    assert len(normalized) == len(results_table)
    zero = normalized[normalized["value_dense"] == 0]
    assert normalized.loc[zero.index, "normalized"].isna().all()
    regime = zero["mode"].where(zero["mode"] == "zero_shot", "fine_tuned")
    expected = set(zip(zero["setting"], zero["task"], zero["difficulty"], regime, strict=True))
    listed = json.loads((results / "verdict.json").read_text())["undefined_ratio_levels"]
    assert {(e["setting"], e["task"], e["difficulty"], e["regime"]) for e in listed} == expected
    assert normalized["excluded"].notna().sum() == sum(e["n_rows"] for e in listed)
    page = (results / "verdict.md").read_text()
    for e in listed:
        assert f"{e['setting']}/{e['model']}/{e['task']}/{e['difficulty']} ({e['regime']})" in page


def test_setting_2_translates_en_x_for_all_four_languages(standin_run):
    from pipeline.tasks.registry import get_task

    results, _, _ = standin_run
    config = paper()
    block = config["settings"]["languages"]
    table = pd.read_parquet(results / "tables/results.parquet")
    rows = table[table["setting"] == "languages"]
    options = {k: block[k] for k in ("pivot", "groups", "pairing", "directions")}
    seen = set()
    for group, languages in block["groups"].items():
        level = rows[rows["difficulty"] == f"lang-{group}"]
        assert len(level) > 0 and (level["metric"] == "bleu").all()
        task = get_task("opus100").configure(f"lang-{group}", options)
        evaluated = task.load_split("validation", results / "data")
        directions = {(r["src"], r["tgt"]) for r in evaluated}
        assert directions == {(a, b) for x in languages for a, b in (("en", x), (x, "en"))}
        assert all(task.references(r)[0].strip() for r in evaluated)
        assert (level["n_eval"] == len(evaluated)).all()
        staged = json.loads(level["data_staged_json"].iloc[0])
        assert sorted(staged) == [f"Helsinki-NLP__opus-100__en-{x}" for x in sorted(languages)]
        seen |= set(languages)
    assert seen == {"ru", "vi", "gu", "my"}


def test_setting_3_runs_a_sentencepiece_llama_from_bin_shards(standin_run):
    from transformers import AutoTokenizer

    results, _, _ = standin_run
    table = pd.read_parquet(results / "tables/results.parquet")
    rows = table[table["setting"] == "book"]
    assert set(rows["difficulty"]) == {"book-open", "book-closed"}
    staged = json.loads(rows["model_staged_json"].iloc[0])
    assert staged["hub_id"] == "lmsys/vicuna-7b-v1.3"
    assert "pytorch_model-00001-of-00002.bin" in staged["files"]  # what the repository holds
    assert "tokenizer.model" in staged["files"]
    assert not [f for f in staged["files"] if f.endswith(".safetensors")]
    # Staging converted the two .bin shards, once: every job loaded safetensors.
    assert staged["converted"] == {
        "pytorch_model-00001-of-00002.bin": "model-00001-of-00002.safetensors",
        "pytorch_model-00002-of-00002.bin": "model-00002-of-00002.safetensors",
        "pytorch_model.bin.index.json": "model.safetensors.index.json",
    }
    for loaded in rows["model_loaded_json"].map(json.loads):
        assert loaded == {
            "model_class": "LlamaForCausalLM",
            "tokenizer_class": "LlamaTokenizer",
            "tokenizer_vocab_file": "tokenizer.model",
            "weight_files": [
                "model-00001-of-00002.safetensors",
                "model-00002-of-00002.safetensors",
                "model.safetensors.index.json",
            ],
        }
    model_dir = results / "models" / rows["model"].iloc[0]
    assert type(AutoTokenizer.from_pretrained(model_dir)).__name__ == "LlamaTokenizer"
    assert (rows["n_eval"] > 0).all()


def test_only_staging_is_online(standin_run):
    _, env_log, _ = standin_run
    entries = [json.loads(line) for line in env_log.read_text().splitlines()]
    verbs = {e["verb"] for e in entries}
    assert verbs >= STAGING_VERBS and {"finetune", "prune", "lmc"} <= verbs
    for entry in entries:
        expected = "0" if entry["verb"] in STAGING_VERBS else "1"
        assert set(entry["env"].values()) == {expected}, entry


def results_table(results: Path) -> pd.DataFrame:
    table = pd.read_parquet(results / "tables/results.parquet")
    for column in ("protocol", "training", "model_loaded"):
        table[column] = table[f"{column}_json"].map(json.loads)
    return table


def test_random_control_and_quantization_run_in_every_setting(standin_run):
    from pipeline import study

    results, _, _ = standin_run
    config = standin_config()
    (bits,) = config["compression"]["bits"]
    table = results_table(results)
    planned = pd.DataFrame(
        [{"setting": c.setting, "compression": c.compression, "mode": c.mode}
         for c in study.cells(config)]
    )  # fmt: skip
    fine_tuned = {"data_fraction", "languages", "across_tasks"}
    zero_shot = {"languages", "book"}
    for setting, rows in table.groupby("setting"):
        plan = planned[planned["setting"] == setting]
        random = rows[rows["method"] == "random"]
        modes = set(plan.loc[plan["compression"].str.startswith("random-"), "mode"])
        assert set(random["mode"]) == modes, setting
        assert ("sparse" in modes) == (setting in fine_tuned)
        assert ("zero_shot" in modes) == (setting in zero_shot)
        # The control prunes as many weights per layer as global magnitude: same sparsity.
        keys = ["model", "task", "difficulty", "mode", "seed"]
        magnitude = rows[rows["method"] == "magnitude"].set_index(keys)["achieved_sparsity"]
        matched = random.set_index(keys)["achieved_sparsity"]
        assert (matched - magnitude.loc[matched.index]).abs().max() < 1e-6, setting
        quantized = rows[rows["method"] == "rtn"]
        assert set(quantized["compression"]) == {f"rtn-{bits}bit"}
        modes = set(plan.loc[plan["compression"].str.startswith("rtn-"), "mode"])
        assert set(quantized["mode"]) == modes, setting
        assert ({"ptq", "qat"} <= modes) == (setting in fine_tuned)
        assert ("zero_shot" in modes) == (setting in zero_shot)
        # PTQ quantizes the dense fine-tuned model, it does not train; QAT trains through RTN.
        steps = quantized["training"].map(lambda t: t["steps"])
        assert (steps[quantized["mode"] != "qat"] == 0).all()
        qat = quantized[quantized["mode"] == "qat"]
        assert (steps[qat.index] > 0).all()
        assert qat["training"].map(lambda t: t["quantized_weights"] > 0).all()


def test_word_problems_are_solved_by_bart_and_scored_by_their_computed_answer(standin_run):
    from pipeline.examples import read_examples
    from pipeline.tasks.registry import get_task

    results, _, _ = standin_run
    table = results_table(results)
    rows = table[table["task"].isin(["mawps", "svamp"])]
    assert set(rows["task"]) == {"mawps", "svamp"}
    assert set(rows["setting"]) == {"across_tasks"} and set(rows["model"]) == {"bart_large"}
    assert (rows["metric"] == "answer_accuracy").all()
    assert (
        rows["model_loaded"]
        .map(lambda m: m["model_class"])
        .eq("BartForConditionalGeneration")
        .all()
    )
    assert (rows["protocol"].map(lambda p: p["epochs"]) == 1).all()
    staged = json.loads(rows["model_staged_json"].iloc[0])
    assert staged["hub_id"] == "facebook/bart-large"
    for task, level in rows.groupby("task"):
        evaluated = get_task(task).load_split("validation", results / "data")
        assert (level["n_eval"] == len(evaluated)).all()
    for _, row in rows.iterrows():  # the value is the mean of 0/1 computed-answer scores
        run = results / "runs" / row["model"] / row["task"] / row["difficulty"]
        examples = read_examples(
            run / row["compression"] / row["mode"] / f"seed{row['seed']}" / "examples.parquet"
        )
        assert set(examples["score"]) <= {0.0, 1.0}
        assert row["value"] == pytest.approx(examples["score"].mean())


def test_smc_bench_tasks_run_their_own_protocol(standin_run):
    results, _, _ = standin_run
    table = results_table(results)
    rows = table[table["task"].isin(["winogrande", "csqa"]) & (table["mode"] != "ptq")]
    assert set(rows["task"]) == {"winogrande", "csqa"}
    protocols = rows["protocol"]
    assert (
        protocols.map(lambda p: (p["steps"], p["schedule"], p["lr"])) == (4, "polynomial", 1e-5)
    ).all()
    assert (rows["training"].map(lambda t: t["steps"]) == 4).all()
    other = table[
        (table["setting"] == "across_tasks") & ~table["task"].isin(["winogrande", "csqa"])
    ]
    assert not (other["protocol_hash"].isin(set(rows["protocol_hash"]))).any()


def test_lmc_interpolates_across_tasks_and_data_fractions(standin_run):
    from pipeline import study

    results, _, _ = standin_run
    config = standin_config()
    lmc = pd.read_parquet(results / "tables/lmc.parquet")
    table = pd.read_parquet(results / "tables/results.parquet")
    expected = {
        (study.lmc_model(config, c), c["task"], study.lmc_difficulty(config, c))
        for c in config["lmc"]["cells"]
    }
    assert set(zip(lmc["model"], lmc["task"], lmc["difficulty"], strict=True)) == expected
    kinds = {c["setting"] for c in config["lmc"]["cells"]}
    assert kinds == {"across_tasks", "data_fraction"}
    for (model, task, difficulty, compression, seed), path in lmc.groupby(
        ["model", "task", "difficulty", "compression", "seed"]
    ):
        assert len(path) == config["lmc"]["alphas"]
        # The path's end points are the dense and the sparse fine-tuned runs of the cell.
        run = table[
            (table["model"] == model)
            & (table["task"] == task)
            & (table["difficulty"] == difficulty)
            & (table["seed"] == seed)
        ]
        dense = run.loc[run["mode"] == "dense", "value"].item()
        sparse = run.loc[
            (run["mode"] == "sparse") & (run["compression"] == compression), "value"
        ].item()
        ends = path.set_index("alpha")["value"]
        assert ends.loc[0.0] == pytest.approx(dense, abs=1e-4), (task, difficulty)
        assert ends.loc[1.0] == pytest.approx(sparse, abs=1e-4), (task, difficulty)


def test_setting_2_rows_record_the_continued_model(standin_run):
    """Setting 2 prunes and fine-tunes mBART after its continued training (a few updates on
    the stand-in pairs): every row names the continued model and its record."""
    results, env_log, _ = standin_run
    config = standin_config()
    recipe = config["models"]["mbart_cc25_mt"]["continued_training"]
    table = results_table(results)
    rows = table[table["setting"] == "languages"]
    assert len(rows) > 0 and set(rows["model"]) == {"mbart_cc25_mt"}
    for staged in rows["model_staged_json"].map(json.loads):
        record = staged["continued_training"]
        assert staged["hub_id"] == "facebook/mbart-large-cc25"
        assert record["of"] == "mbart_cc25" and record["steps"] == recipe["steps"] == 3
        assert record["recipe"]["lr"] == 1e-6
        assert record["recipe"]["languages"] == recipe["languages"]
    written = json.loads((results / "models/mbart_cc25_mt/staged.json").read_text())
    assert written["continued_training"] == staged["continued_training"]
    masks = {p.parent.name for p in (results / "masks/mbart_cc25_mt").rglob("report.json")}
    assert masks and not (results / "masks/mbart_cc25").exists()
    verbs = [json.loads(line)["verb"] for line in env_log.read_text().splitlines()]
    assert verbs.count("continue-train") == 1
