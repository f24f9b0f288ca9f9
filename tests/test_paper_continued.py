"""Setting 2's continued training of mBART (pipeline/models/continued.py): the verb on a
stand-in mBART and staged OPUS-100 stand-ins (it learns, records its recipe and data, and
writes a folder in the hub layout), temperature sampling on planted sizes, bad recipes
refused by key, the paper DAG (the continued model upstream of every setting-2 prune) and
its price."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import paper

REPO = Path(__file__).resolve().parents[1]
STANDIN_LANGUAGES = ["gu", "my", "ru", "vi"]  # the stand-in mirror's OPUS-100 pairs


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    """(results folder with data/ and models/mbart_cc25, built and staged offline)."""
    from pipeline.catalog import study_datasets
    from pipeline.data.stage import stage_dataset
    from pipeline.data.standins import build_datasets, corpus_texts
    from pipeline.staging.hub import stage_hub_model
    from pipeline.staging.standins import build_mbart
    from pipeline.tasks.glue import GLUE_TASKS

    root = tmp_path_factory.mktemp("continued")
    mirror = root / "mirror"
    build_datasets(mirror, GLUE_TASKS)
    texts = [t for v in corpus_texts().values() for t in v]
    build_mbart(mirror / "facebook/mbart-large-cc25", texts)
    config = paper()
    config["models"]["mbart_cc25_mt"]["continued_training"]["languages"] = STANDIN_LANGUAGES
    config["hub_mirror"] = str(mirror)
    specs = study_datasets(config)
    wanted = [s for s in specs.values() if s["hub_id"] == "Helsinki-NLP/opus-100"]
    assert {s["config"] for s in wanted} == {f"en-{x}" for x in STANDIN_LANGUAGES}
    assert all("train" in s["splits"] for s in wanted)
    for spec in wanted:
        out = root / "results" / "data" / spec["name"]
        out.mkdir(parents=True)
        stage_dataset({**spec, "revision": "UNPINNED"}, out)
    model = root / "results" / "models" / "mbart_cc25"
    model.mkdir(parents=True)
    stage_hub_model(
        {"hub_id": "facebook/mbart-large-cc25", "revision": "UNPINNED", "hub_mirror": str(mirror)},
        model,
        key="models.mbart_cc25",
    )
    return root / "results"


def run_verb(results: Path, recipe: dict, out: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "pipeline", "continue-train", "--model",
         str(results / "models" / "mbart_cc25"), "--of", "mbart_cc25", "--name", "mbart_cc25_mt",
         "--recipe", json.dumps(recipe), "--data", str(results / "data"), "--device", "cpu",
         "--out", str(out)],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip


def test_the_verb_trains_records_and_writes_a_hub_folder(staged):
    import torch
    from safetensors.torch import load_file
    from transformers import AutoModelForSeq2SeqLM

    recipe = {"languages": STANDIN_LANGUAGES, "steps": 24, "lr": 3e-3, "warmup_steps": 2,
              "max_tokens": 256, "update_freq": 1, "precision": "fp32", "dropout": 0.0}  # fmt: skip
    out = staged / "models" / "mbart_cc25_mt"
    proc = run_verb(staged, recipe, out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    manifest = json.loads((out / "staged.json").read_text())
    base = json.loads((staged / "models" / "mbart_cc25" / "staged.json").read_text())
    assert manifest["hub_id"] == base["hub_id"] and manifest["revision"] == base["revision"]
    record = manifest["continued_training"]
    assert record["of"] == "mbart_cc25" and record["steps"] == 24
    assert record["recipe"]["lr"] == 3e-3 and record["recipe"]["betas"] == [0.9, 0.98]
    # Both directions of every pair, 32 stand-in rows each; equal sizes sample uniformly.
    assert record["directions"] == {
        f"{a}-{b}": 32 for x in STANDIN_LANGUAGES for a, b in (("en", x), (x, "en"))
    }
    assert list(record["sampling"].values()) == pytest.approx([1 / 8] * 8)
    assert sorted(record["data"]) == [f"Helsinki-NLP__opus-100__en-{x}" for x in STANDIN_LANGUAGES]
    # It learnt: the last quarter's loss is below the first quarter's.
    assert record["loss_last"] < record["loss_first"] - 0.05, record
    # The folder loads like a staged model, with weights that moved.
    model = AutoModelForSeq2SeqLM.from_pretrained(str(out))
    assert type(model).__name__ == "MBartForConditionalGeneration"
    assert (out / "model.safetensors").exists() and (out / "sentencepiece.bpe.model").exists()
    before = AutoModelForSeq2SeqLM.from_pretrained(str(staged / "models" / "mbart_cc25"))
    name = "model.encoder.layers.0.fc1.weight"
    after = load_file(str(out / "model.safetensors"))[name]
    assert not torch.equal(after, before.state_dict()[name])


def test_sampling_follows_the_temperature():
    from pipeline.models.continued import sampling_probabilities

    assert sampling_probabilities([900, 100], 1.0) == pytest.approx([0.9, 0.1])
    assert sampling_probabilities([900, 100], 2.0) == pytest.approx([0.75, 0.25])  # 30 : 10
    flat = sampling_probabilities([10_000, 10], 1e6)
    assert flat == pytest.approx([0.5, 0.5], abs=1e-4)


def test_a_batch_keeps_its_token_budget():
    import numpy as np

    from pipeline.models.continued import _batch

    rng = np.random.default_rng(0)
    pools = [[{"input_ids": [1] * n, "labels": [1] * (n + 3)} for n in range(5, 40)]]
    for _ in range(50):
        batch = _batch(rng, pools, [1.0], max_tokens=200)
        longest = max(max(len(e["input_ids"]), len(e["labels"])) for e in batch)
        assert longest * len(batch) <= 200
    one = _batch(rng, [[{"input_ids": [1] * 300, "labels": [1] * 300}]], [1.0], max_tokens=200)
    assert len(one) == 1  # a sentence longer than the budget still makes a batch


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"languages": ["en", "xx"]}, "models.mbart_cc25_mt.continued_training.languages"),
        ({"languages": []}, "models.mbart_cc25_mt.continued_training"),
        ({"lr_max": 1.0}, "models.mbart_cc25_mt.continued_training"),
    ],
)
def test_a_bad_recipe_names_its_key(change, needle):
    from pipeline.config import check_config
    from pipeline.resolve import ConfigError

    config = paper()
    config["models"]["mbart_cc25_mt"]["continued_training"].update(change)
    with pytest.raises(ConfigError) as error:
        check_config(config)
    assert needle in str(error.value)


def test_of_must_name_a_hub_model():
    from pipeline.config import check_config
    from pipeline.resolve import ConfigError

    config = paper()
    config["models"]["mbart_cc25_mt"]["of"] = "mbart"
    with pytest.raises(ConfigError, match=r"models\.mbart_cc25_mt\.of"):
        check_config(config)


def test_the_paper_dag_continues_mbart_before_every_setting_2_prune(tmp_path):
    """``snakemake -n all_figures --configfile configs/paper.yaml``: one continue_train job
    reads the staged mBART and the ten pairs' train splits and writes the model every
    setting-2 compression and fine-tune reads; nothing prunes the raw mBART."""
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "all_figures", "--snakefile",
         str(REPO / "Snakefile"), "--directory", str(tmp_path), "--configfile",
         str(REPO / "configs/paper.yaml")],
        capture_output=True, text=True, timeout=900, cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    jobs = []
    for block in proc.stdout.split("\nrule ")[1:]:
        rule = block.split(":", 1)[0]
        fields = dict(
            line.strip().split(": ", 1) for line in block.splitlines()[1:] if ": " in line
        )
        jobs.append((rule, fields.get("input", "").split(", "), fields.get("output", "")))
    continued = [j for j in jobs if j[0] == "continue_train"]
    assert len(continued) == 1
    _, inputs, output = continued[0]
    assert output == "results/paper/models/mbart_cc25_mt"
    assert "results/paper/models/mbart_cc25" in inputs
    pairs = {i.rsplit("__", 1)[1] for i in inputs if "opus-100" in i}
    languages = paper()["models"]["mbart_cc25_mt"]["continued_training"]["languages"]
    assert pairs == {"-".join(sorted(("en", x))) for x in languages} and len(pairs) == 10
    prunes = [j for j in jobs if j[0].startswith("prune")]
    setting_2 = [j for j in prunes if "/masks/mbart_cc25_mt/" in j[2]]
    assert len(setting_2) > 0
    assert all(j[1] == [output] or output in j[1] for j in setting_2)
    assert not [j for j in prunes if "/masks/mbart_cc25/" in j[2]]
    runs = [j for j in jobs if j[0].startswith("finetune") and "/runs/mbart_cc25_mt/" in j[2]]
    dense = [j for j in runs if "/dense/" in j[2]]
    assert dense and all(output in j[1] for j in dense)


def test_the_cost_model_prices_the_continued_training():
    from pipeline.cluster import walltime
    from pipeline.cluster.plan import load_plan

    plan = load_plan(paper(), REPO / "slurm/throughput.yaml")
    speed = plan.speed("mbart_cc25")
    tokens = 40_000 * 2 * 1024 * 2
    expected = speed.load_minutes + tokens / speed.train / 60
    minutes = walltime.estimate_minutes(plan, "continue_train", {"model": "mbart_cc25_mt"})
    assert minutes == pytest.approx(expected) and minutes > 60
    assert plan.speed("mbart_cc25_mt") == speed  # its jobs run at the base model's rate
    setting = walltime.job_setting(plan, "continue_train", {"model": "mbart_cc25_mt"})
    assert setting == "languages"
