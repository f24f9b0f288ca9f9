"""Settings 2-4 and the traps of the paper's own code (issue 7)."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from pipeline import resolve, study
from pipeline.analysis.tables import normalize
from pipeline.tasks.qa import exact_match, lenient_containment, token_f1
from pipeline.tasks.registry import get_task
from pipeline.tasks.subsets import fraction_indices
from tests.conftest import default, tiny_run
from tests.run_specs import finetune_specs


def test_closed_book_prompt_has_no_evidence_and_open_book_has_it(tiny_world):
    rows = get_task("syn_triviaqa").load_split("validation", tiny_world)
    closed = get_task("syn_triviaqa").configure("book-closed", {})
    open_ = get_task("syn_triviaqa").configure("book-open", {})
    for row in rows[:20]:
        evidence = row["entity_pages"]["wiki_context"][0]
        assert evidence not in closed.prompt(row)
        assert row["question"] in closed.prompt(row)
        assert open_.prompt(row).startswith(evidence)
        assert open_.prompt(row).endswith(f"Q: {row['question']}\nA:")


def test_empty_prediction_scores_zero_everywhere():
    aliases = ["Paris", "paris france"]
    assert exact_match("", aliases) == token_f1("", aliases) == 0.0
    assert lenient_containment("", aliases) == 0.0  # the paper's code scored this 1
    assert exact_match("The Paris.", aliases) == 1.0  # normalization: case, articles, punctuation
    assert token_f1("paris", ["paris france"]) == pytest.approx(2 / 3)
    assert lenient_containment("paris", ["paris france"]) == 1.0


def test_fraction_subsets_are_random_seeded_and_nested():
    small, mid, full = (set(fraction_indices(1000, f, seed=3)) for f in (0.1, 0.25, 1.0))
    assert small < mid < full and len(small) == 100 and len(full) == 1000
    assert small != set(range(100))  # not the first 10% (the paper code's choice)
    assert fraction_indices(1000, 0.1, seed=3, how="first") == list(range(100))
    assert set(fraction_indices(1000, 0.1, seed=4)) != small


def test_translation_pairs_each_language_with_the_pivot(tiny_world):
    groups = {"minority": ["min_b", "min_c"]}
    task = get_task("syn_translation").configure(
        "lang-minority", {"pivot": "maj_a", "groups": groups}
    )
    rows = task.load_split("validation", tiny_world)
    assert {(r["src"], r["tgt"]) for r in rows} == {
        ("maj_a", "min_b"), ("min_b", "maj_a"), ("maj_a", "min_c"), ("min_c", "maj_a")
    }  # fmt: skip
    joined = get_task("syn_translation").configure(
        "lang-minority", {"pivot": "maj_a", "groups": groups, "pairing": "pivot_join"}
    )  # the world's pairs share their pivot sentences, so the paper's join works here
    pairs = {(r["src"], r["tgt"]) for r in joined.load_split("validation", tiny_world)}
    assert pairs == {("min_b", "min_c"), ("min_c", "min_b")}
    source, target = task.source_target(rows[1])
    assert source.startswith(f"__{rows[1]['tgt']}__ ")  # the target language's tag
    assert target == rows[1]["translation"][rows[1]["tgt"]]
    with pytest.raises(ValueError, match="names no language group"):
        get_task("syn_translation").configure("lang-majority", {"pivot": "maj_a", "groups": {}})


def settings_config(**settings):
    """A small study config with the given ``settings`` blocks."""
    return {
        "results_dir": "r",
        "seeds": [0, 1],
        "modes": ["dense", "sparse", "sparse_to_dense"],
        "mode_methods": {"sparse_to_dense": ["magnitude"]},
        "compression": {"methods": ["magnitude", "random"], "sparsities": [0.5]},
        "protocol": {"lr": 1e-3, "epochs": 1, "batch_size": 8, "max_length": 16},
        "settings": settings,
    }


def test_regimes_and_modes_expand_into_cells():
    config = settings_config(
        languages={
            "model": "mb",
            "task": "syn_translation",
            "pivot": "a",
            "groups": {"majority": ["b", "c"], "minority": ["d", "e"]},
            "regimes": ["zero_shot", "few_shot"],
            "methods": ["magnitude"],
        },
        book={
            "model": "ll",
            "task": "syn_triviaqa",
            "books": ["open", "closed"],
            "regimes": ["zero_shot"],
            "methods": ["magnitude"],
        },
    )
    cells = study.cells(config)
    lang = {(c.difficulty, c.compression, c.mode) for c in cells if c.setting == "languages"}
    assert ("lang-minority", "dense", "zero_shot") in lang
    assert ("lang-minority", "magnitude-0.5", "zero_shot") in lang
    assert ("lang-minority", "magnitude-0.5", "sparse_to_dense") in lang
    assert ("lang-minority", "dense", "dense") in lang
    assert not any(comp.startswith("random") for _, comp, _ in lang)  # the setting's methods
    book = {(c.difficulty, c.mode) for c in cells if c.setting == "book"}
    assert book == {(f"book-{b}", "zero_shot") for b in ("open", "closed")}
    # books x compressions, once each: a zero-shot cell is deterministic (the first seed)
    book_cells = [c for c in cells if c.setting == "book"]
    assert len(book_cells) == 2 * 2 and {c.seed for c in book_cells} == {config["seeds"][0]}


def test_mode_methods_restrict_transfer_modes():
    config = settings_config(
        data_fraction={"model": "m", "tasks": ["syn_sentiment"], "fractions": [1]}
    )
    runs = {(c.compression, c.mode) for c in study.cells(config)}
    assert ("random-0.5", "sparse") in runs and ("random-0.5", "sparse_to_dense") not in runs
    assert ("magnitude-0.5", "sparse_to_dense") in runs


def test_setting_protocol_overrides_the_study_protocol():
    config = settings_config(
        book={
            "model": "ll",
            "task": "syn_triviaqa",
            "books": ["open"],
            "protocol": {"max_length": 64},
        }
    )
    protocol = resolve.protocol_for(config, "book")
    assert protocol == {**protocol, **config["protocol"], "max_length": 64}


def test_zero_shot_runs_are_normalized_by_the_zero_shot_dense_model():
    base = {
        "study": "s",
        "setting": "book",
        "model": "m",
        "task": "t",
        "seed": 0,
        "protocol_hash": "h",
        "protocol_json": "{}",
    }
    rows = [
        {
            **base,
            "difficulty": "book-open",
            "compression": "dense",
            "mode": "zero_shot",
            "value": 0.8,
        },
        {
            **base,
            "difficulty": "book-open",
            "compression": "magnitude-0.5",
            "mode": "zero_shot",
            "value": 0.4,
        },
        {**base, "difficulty": "book-open", "compression": "dense", "mode": "dense", "value": 0.5},
        {
            **base,
            "difficulty": "book-open",
            "compression": "magnitude-0.5",
            "mode": "sparse",
            "value": 0.4,
        },
    ]
    out = normalize(pd.DataFrame(rows)).set_index(["compression", "mode"])["normalized"]
    assert out[("magnitude-0.5", "zero_shot")] == pytest.approx(0.5)
    assert out[("magnitude-0.5", "sparse")] == pytest.approx(0.8)


def test_quantized_sparse_fine_tuning_stays_on_the_grid(tiny_roberta, tiny_world, tmp_path):
    """The quantization counterpart of exact zeros: after fine-tuning in sparse mode every
    weight of an RTN-compressed model still lies on its row's 4-bit grid."""
    from transformers import AutoModelForSequenceClassification

    from pipeline.cli import main
    from pipeline.compress.prunable import prunable_parameters
    from pipeline.finetune.protocol import Protocol

    folder = tmp_path / "rtn-4bit"
    assert (
        main(
            [
                "prune",
                "--model",
                str(tiny_roberta),
                "--method",
                "rtn",
                "--level",
                "4bit",
                "--out-mask",
                str(folder / "mask.npz"),
                "--out-report",
                str(folder / "report.json"),
                "--out-weights",
                str(folder / "weights.safetensors"),
            ]
        )
        == 0
    )
    tiny_run(
        tiny_roberta,
        tiny_world,
        "rtn-4bit",
        "sparse",
        setting="across_tasks",
        model_name="m",
        difficulty="task-all",
        masks_path=folder / "mask.npz",
        protocol=Protocol(lr=1e-2, epochs=1, batch_size=16, max_length=24, seed=0),
        out_dir=tmp_path / "ft",
    )
    from safetensors.torch import load_file

    quantized = load_file(str(folder / "weights.safetensors"))
    tuned = prunable_parameters(
        AutoModelForSequenceClassification.from_pretrained(str(tmp_path / "ft"))
    )
    moved = 0
    for name, weight in tuned.items():
        start = quantized[name]
        scale = start.abs().amax(dim=1, keepdim=True) / 7  # the grid fixed by quantization
        steps = weight.detach() / scale
        assert torch.allclose(steps, steps.round(), atol=1e-4), name
        assert steps.abs().max() <= 7 + 1e-4
        moved += int((weight.detach() != start).sum())
    assert moved > 0  # fine-tuning did move weights, from grid point to grid point


def test_a_setting_that_counts_epochs_replaces_the_study_step_budget():
    config = settings_config(
        data_fraction={
            "model": "m",
            "tasks": ["syn_sentiment"],
            "fractions": [0.25, 1.0],
            "protocol": {"epochs": 3},
        }
    )
    config["protocol"] = {**config["protocol"], "steps": 300}
    config["protocol"].pop("epochs", None)
    merged = resolve.protocol_for(config, "data_fraction")
    assert merged["epochs"] == 3 and "steps" not in merged


def test_a_seed_varies_the_data_subset_and_the_random_mask():
    from pipeline.compress.base import Target
    from pipeline.compress.registry import get_method

    assert fraction_indices(500, 0.25, seed=0) != fraction_indices(500, 0.25, seed=1)
    params = {"w": torch.nn.Parameter(torch.randn(8, 16))}
    random = get_method("random")
    assert random.seeded and not get_method("magnitude").seeded
    masks = [random.compress(Target(None, params, seed), "0.5")["w"] for seed in (0, 1)]
    assert int(masks[0].sum()) == int(masks[1].sum())  # the same count per layer
    assert not torch.equal(masks[0], masks[1])  # but other weights


def test_the_dag_draws_one_random_mask_and_one_subset_per_seed(tmp_path):
    """A dry run of the real Snakefile: the random control's cells read a mask made with
    their own seed, magnitude cells share one mask, and the subset seed is the run's."""
    import subprocess
    import sys
    from pathlib import Path

    import yaml

    from tests.conftest import tiny_study

    repo = Path(__file__).resolve().parents[1]
    config = tiny_study(tmp_path / "results", [0.5], ["dense", "sparse"], [0, 1], [0.5])
    config["compression"]["methods"] = ["magnitude", "random"]
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    done = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "-p", "--snakefile", str(repo / "Snakefile")]
        + ["--directory", str(tmp_path), "--configfile", str(tmp_path / "config.yaml")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout + done.stderr
    for seed in (0, 1):
        assert f"--level 0.5 --seed {seed} " in out
        assert f"masks/m/random-0.5/seed{seed}/mask.npz" in out
    # every fine-tune draws its data subset with its own seed
    runs = [spec for spec in finetune_specs(out) if spec["subset"] == "random"]
    pairs = {(spec["protocol"]["seed"], spec["subset_seed"]) for spec in runs}
    assert pairs == {(0, 0), (1, 1)}
    assert out.count("rule prune_seeded:") == 2 and out.count("rule prune:") == 1


def _across_task_protocols(config: dict) -> dict[str, tuple]:
    """Setting 4's task -> (readout, headline metric, chance rule, protocol): what the
    compared tasks must share so that only their difficulty differs."""
    import json
    from types import SimpleNamespace

    from pipeline.finetune.adapters import adapter_for

    block = config["settings"]["across_tasks"]
    encoder = SimpleNamespace(is_encoder_decoder=False)
    return {
        task: (
            adapter_for(get_task(task), encoder).name,
            get_task(task).metric,
            get_task(task).chance,
            json.dumps(resolve.protocol_for(config, "across_tasks", task), sort_keys=True),
        )
        for task in block["tasks"]
    }


def test_setting_4_compares_tasks_that_share_readout_metric_and_protocol():
    """The default study's across-task comparison: every task read by the same head,
    scored by the same metric against the same chance rule, trained by one protocol."""

    config = default()
    shared = _across_task_protocols(config)
    assert len(shared) >= 2 and len(set(shared.values())) == 1, shared
    # The check fails on the comparison it replaced: grammar's classification head and MCC,
    # sentiment's own lr and steps.
    old = {
        **config,
        "settings": {
            "across_tasks": {
                **config["settings"]["across_tasks"],
                "tasks": ["syn_sentiment", "syn_grammar", "syn_factcheck"],
                "task_protocols": {"syn_sentiment": {"lr": 0.001, "steps": 800}},
            }
        },
    }
    readouts = {task: v[:3] for task, v in _across_task_protocols(old).items()}
    assert readouts["syn_grammar"] != readouts["syn_factcheck"]  # head, MCC, zero chance
    assert readouts["syn_sentiment"] == readouts["syn_factcheck"]
    protocols = _across_task_protocols(old)
    assert protocols["syn_sentiment"][3] != protocols["syn_factcheck"][3]
