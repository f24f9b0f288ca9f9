"""What configs/paper.yaml needed from the config language: per-task protocols (SMC-Bench's
recipe for WinoGrande/CSQA), per-task models (MAWPS/SVAMP generate), per-setting
``mode_methods``/``mode_tasks`` (paper §5 only where it ran), and LMC cells of any setting
and difficulty (the across-task pairs on RoBERTa-Large). Each is checked on the paper
config itself and on the bad inputs it must reject, naming the key."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from pipeline import resolve, study
from pipeline.finetune.protocol import Protocol
from tests.conftest import dry_check, paper
from tests.run_specs import finetune_specs

REPO = Path(__file__).resolve().parents[1]


def test_smc_bench_tasks_run_their_own_recipe():
    config = paper()
    csqa = resolve.protocol_for(config, "across_tasks", "csqa")
    assert {k: csqa[k] for k in ("steps", "lr", "batch_size", "schedule", "weight_decay")} == {
        "steps": 3000,
        "lr": 1e-5,
        "batch_size": 16,
        "schedule": "polynomial",
        "weight_decay": 0.01,
    }
    assert "epochs" not in csqa and csqa["max_length"] == 512  # the setting's, inherited
    run = Protocol.from_dict({**csqa, "seed": 41})
    assert run.warmup_steps(9_741) == 150 and run.total_steps(9_741) == 3000
    sst2 = resolve.protocol_for(config, "across_tasks", "sst2")
    assert sst2 == resolve.protocol_for(config, "across_tasks")  # the GLUE recipe
    assert sst2["epochs"] == 3 and "steps" not in sst2 and sst2["lr"] == 2e-5
    hashes = {Protocol.from_dict({**p, "seed": 41}).hash for p in (csqa, sst2)}
    assert len(hashes) == 2  # part of every run's record


def test_the_polynomial_schedule_decays_to_the_end():
    import torch

    from pipeline.finetune.trainer import make_optimizer

    protocol = Protocol.from_dict(
        {**resolve.protocol_for(paper(), "across_tasks", "winogrande"), "seed": 0}
    )
    optimizer, scheduler = make_optimizer(torch.nn.Linear(2, 2), protocol, n_examples=40_398)
    lrs = []
    for _ in range(protocol.steps):
        lrs.append(scheduler.get_last_lr()[0])
        optimizer.step()
        scheduler.step()
    assert lrs[0] == 0 and lrs[150] == pytest.approx(1e-5)  # 150 warm-up steps
    assert lrs[1575] == pytest.approx((1e-5 - 1e-7) / 2 + 1e-7, rel=1e-3)  # linear decay
    assert lrs[-1] < 2e-7


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"schedule": "bogus"}, "task_protocols"),
        ({"epochs": 2, "steps": 5}, "settings.across_tasks.task_protocols.csqa"),
    ],
)
def test_a_bad_task_protocol_is_rejected_naming_its_key(change, key):
    config = paper()
    config["settings"]["across_tasks"]["task_protocols"]["csqa"] = {"lr": 1e-5, **change}
    with pytest.raises(Exception, match=key):  # noqa: PT011 - schema or ConfigError
        dry_check(config)


@pytest.mark.parametrize(
    ("part", "value", "key"),
    [
        ("task_protocols", {"mnli": {"lr": 1e-5}}, "settings.across_tasks.task_protocols.mnli"),
        ("task_models", {"mawps": "gpt9"}, "settings.across_tasks.task_models.mawps"),
        ("mode_tasks", {"sparse_to_dense": ["mnli"]}, r"settings.across_tasks.mode_tasks"),
        ("mode_methods", {"sparse": ["obd"]}, r"settings.across_tasks.mode_methods.sparse\[0\]"),
    ],
)
def test_a_per_task_or_per_setting_name_must_exist(part, value, key):
    config = paper()
    config["settings"]["across_tasks"][part] = value
    with pytest.raises(Exception, match=key):  # noqa: PT011
        dry_check(config)


def test_the_paper_plans_its_modes_models_and_controls_where_the_paper_ran_them():
    cells = study.cells(paper())
    modes = Counter((c.setting, c.mode) for c in cells)
    for setting in ("languages", "book"):  # paper §5 ran in settings 1 and 4 only
        assert not modes[(setting, "sparse_to_dense")] and not modes[(setting, "dense_freeze")]
    four = {c.task for c in cells if c.setting == "across_tasks" and c.mode == "sparse_to_dense"}
    assert four == {"cola", "winogrande", "csqa"}
    assert {c.model for c in cells if c.task in ("mawps", "svamp")} == {"bart_large"}
    for setting in ("data_fraction", "languages", "book", "across_tasks"):
        methods = {c.compression.split("-")[0] for c in cells if c.setting == setting}
        assert {"random", "rtn", "magnitude"} <= methods, setting
        bits = {c.compression for c in cells if c.setting == setting and "rtn" in c.compression}
        assert bits == {"rtn-8bit", "rtn-4bit", "rtn-3bit"}, setting
    quantized = {c.mode for c in cells if c.compression.startswith("rtn")}
    assert quantized == {"ptq", "qat", "zero_shot"}  # never "sparse": rtn trains on no grid
    levels = {c.compression for c in cells if c.setting == "data_fraction"}
    assert {"magnitude-0.05", "magnitude_nm-7of8", "magnitude_nm-1of4"} <= levels


def test_lmc_cells_name_the_across_task_pairs_on_roberta_large():
    config = paper()
    targets = study.lmc_targets(config)
    across = [t for t in targets if "/roberta_large/" in t]
    # Each pair at each of the study's seeds (Fig. 10's interval over seeds).
    assert [t.split("/")[4] for t in across] == [
        t for t in ["qqp", "stsb", "qnli", "rte"] for _ in config["seeds"]
    ]
    assert all("/task-all/magnitude-0.5/seed4" in t for t in across)
    assert {t.split("/")[7] for t in across} == {f"seed{s}" for s in config["seeds"]}
    assert any("/roberta-base/qnli/fraction-0.1/" in t for t in targets)  # data-fraction path
    ends = study.lmc_end_points(config)
    assert {"model": "roberta_large", "task": "rte", "difficulty": "task-all",
            "compression": "dense", "mode": "dense", "seed": 41, "budget": ""} in ends  # fmt: skip


@pytest.mark.parametrize(
    ("cell", "key"),
    [
        ({"difficulty": "task-hard"}, r"lmc.cells\[0\].difficulty"),
        ({"fraction": 0.5, "difficulty": "task-all"}, r"lmc"),  # one or the other
        ({"task": "mnli"}, r"lmc.cells\[0\].task"),
        ({"sparsity": 0.55}, r"lmc.cells\[0\].sparsity"),
        ({"setting": "book"}, r"lmc.cells\[0\].setting"),  # zero-shot: no sparse mode
    ],
)
def test_a_bad_lmc_cell_is_rejected_naming_its_key(cell, key):
    config = paper()
    base = {"setting": "across_tasks", "task": "qqp", "method": "magnitude", "sparsity": 0.5}
    config["lmc"]["cells"] = [{**base, "seed": 41, **cell}]
    with pytest.raises(Exception, match=key):  # noqa: PT011
        dry_check(config)


def test_an_lmc_cell_may_name_its_difficulty():
    config = paper()
    config["lmc"]["cells"] = [
        {"setting": "data_fraction", "task": "qnli", "difficulty": "fraction-0.1",
         "method": "magnitude", "sparsity": 0.5, "seed": 42},
        {"setting": "languages", "task": "opus100", "difficulty": "lang-minority",
         "method": "magnitude", "sparsity": 0.5, "seed": 41},
    ]  # fmt: skip
    dry_check(config)
    assert [t.split("/")[3:6] for t in study.lmc_targets(config)] == [
        ["roberta-base", "qnli", "fraction-0.1"],
        ["mbart_cc25_mt", "opus100", "lang-minority"],
    ]


def test_the_finetune_rule_passes_each_task_its_own_protocol(tmp_path):
    """What the job runs under: the rule's --protocol, read from a real dry run."""
    import subprocess
    import sys

    from tests.conftest import tiny_study

    config = tiny_study(tmp_path / "results", [0.5], ["dense"], [0], [1.0])
    config["settings"]["data_fraction"]["tasks"] = ["syn_sentiment", "syn_factcheck"]
    config["settings"]["data_fraction"]["task_protocols"] = {
        "syn_factcheck": {"steps": 7, "lr": 0.003}
    }
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    runs = "results/runs/m/{}/fraction-1/dense/dense/seed0/metrics.json"
    targets = [str(tmp_path / runs.format(t)) for t in ("syn_sentiment", "syn_factcheck")]
    out = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "-p", *targets, "--snakefile",
         str(REPO / "Snakefile"), "--directory", str(tmp_path),
         "--configfile", str(tmp_path / "config.yaml")],
        capture_output=True, text=True, timeout=300, cwd=REPO,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    protocols = {spec["task_name"]: spec["protocol"] for spec in finetune_specs(out.stdout)}
    assert protocols["syn_factcheck"]["steps"] == 7 and protocols["syn_factcheck"]["lr"] == 0.003
    assert "epochs" not in protocols["syn_factcheck"]
    assert protocols["syn_sentiment"]["epochs"] == 1 and protocols["syn_sentiment"]["lr"] == 0.001
