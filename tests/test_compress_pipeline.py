"""The compression stage as the workflow uses it: levels and config, the `prune` verb and its
report, loading a compression at fine-tune time, calibration text, and the snakemake rules."""

from __future__ import annotations

import copy
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from pipeline import study
from pipeline.cli import main
from pipeline.compress.apply import load_compression
from pipeline.compress.calibration import load_calibration
from pipeline.compress.levels import describe, format_nm, parse_bits, parse_nm
from pipeline.compress.masks import load_masks
from pipeline.compress.prunable import prunable_parameters, sparsity_report
from pipeline.compress.registry import METHODS
from pipeline.config import ConfigError
from pipeline.config_schema import schema, schema_file
from pipeline.io import read_json, write_jsonl

REPO = Path(__file__).resolve().parents[1]
WORDS = [f"w{i}" for i in range(40)]


@pytest.fixture(scope="module")
def staged(tmp_path_factory) -> tuple[Path, Path]:
    """(model folder, world folder): a tiny RoBERTa masked LM with a word tokenizer, as the
    stage-model verb saves it, and a corpus.jsonl of Zipfian sentences."""
    from transformers import RobertaConfig, RobertaForMaskedLM

    from pipeline.models.tokenizer import build_word_tokenizer

    root = tmp_path_factory.mktemp("staged")
    rng = random.Random(0)
    zipf = [1 / (i + 1) for i in range(len(WORDS))]
    rows = [
        {"text": " ".join(rng.choices(WORDS, zipf, k=rng.randint(3, 9))), "lang": "a"}
        for _ in range(300)
    ]
    write_jsonl(root / "world" / "corpus.jsonl", rows)
    tokenizer = build_word_tokenizer(WORDS, root / "model")
    config = RobertaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=40,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(0)
    RobertaForMaskedLM(config).save_pretrained(str(root / "model"))
    return root / "model", root / "world"


def prune_verb(model: Path, world: Path, out: Path, method: str, level: str, *extra: str) -> int:
    weights = (
        ["--out-weights", str(out / "weights.safetensors")]
        if METHODS[method].changes_weights
        else []
    )
    return main(
        [
            "prune",
            "--model",
            str(model),
            "--method",
            method,
            "--level",
            level,
            "--world",
            str(world),
            "--calibration",
            '{"samples": 8, "seq_len": 16, "batch_size": 4}',
            "--out-mask",
            str(out / "mask.npz"),
            "--out-report",
            str(out / "report.json"),
            *weights,
            *extra,
        ]
    )


def task_model(model_dir: Path):
    from transformers import AutoModelForSequenceClassification

    torch.manual_seed(5)
    return AutoModelForSequenceClassification.from_pretrained(str(model_dir), num_labels=2)


# --- levels and config -------------------------------------------------------------------


def test_levels_are_path_safe_and_mean_what_the_paper_means():
    assert format_nm("7:8") == "7of8" and parse_nm("7of8") == (7, 8)
    assert describe("nm", "7of8")["sparsity"] == pytest.approx(1 / 8)  # 7 kept, 1 pruned
    assert describe("nm", "1of4")["sparsity"] == pytest.approx(3 / 4)
    assert parse_bits("2bit") == 2 and describe("bits", "8bit")["bits"] == 8
    for bad, call in (("4:4", format_nm), ("2/4", format_nm), ("1bit", parse_bits)):
        with pytest.raises(ValueError, match="allowed|must be"):
            call(bad)


def test_schema_lists_exactly_the_registered_methods():
    block = schema()["properties"]["compression"]["properties"]
    assert sorted(block["methods"]["items"]["enum"]) == sorted(METHODS)
    assert sorted(block["levels"]["propertyNames"]["enum"]) == sorted(METHODS)
    assert "-" not in "".join(METHODS)  # "-" separates method and level in paths


def _config(**compression) -> dict:
    return {"compression": {"sparsities": [0.2, 0.6], "seed": 0, **compression}}


def test_compressions_give_each_method_the_levels_of_its_kind():
    config = _config(
        methods=["magnitude", "random", "magnitude_nm", "sparsegpt_nm", "rtn"],
        nm_patterns=["7:8", "2:4"],
        bits=[8, 2],
        levels={"random": [0.6]},
    )
    assert study.compressions(config) == [
        "magnitude-0.2",
        "magnitude-0.6",
        "random-0.6",
        "magnitude_nm-7of8",
        "magnitude_nm-2of4",
        "sparsegpt_nm-7of8",
        "sparsegpt_nm-2of4",
        "rtn-8bit",
        "rtn-2bit",
    ]


@pytest.mark.parametrize(
    ("compression", "key"),
    [
        ({"methods": ["magnitude_nm"]}, "compression.nm_patterns"),
        ({"methods": ["rtn"], "bits": [9]}, r"compression.bits\[0\]"),
        ({"methods": ["random"], "levels": {"random": [1.5]}}, r"compression.levels.random\[0\]"),
        ({"methods": ["wanda"], "prunable": "backbone_and_head"}, "compression.prunable"),
    ],
)
def test_bad_compression_config_names_the_key(compression, key):
    with pytest.raises(ConfigError, match=key):
        study.compressions(_config(**compression))


def test_schema_accepts_the_paper_levels_and_rejects_a_bad_pattern():
    from snakemake.utils import validate

    config = yaml.safe_load((REPO / "config.yaml").read_text())
    config["compression"].update(
        methods=["magnitude", "magnitude_nm", "wanda", "rtn"],
        nm_patterns=[f"{n}:8" for n in range(7, 0, -1)],
        bits=[8, 7, 6, 5, 4, 3, 2],
        calibration={"source": "hub", "hub_id": "allenai/c4"},
    )
    validate(copy.deepcopy(config), schema_file())
    config["compression"]["nm_patterns"] = ["2/4"]
    with pytest.raises(Exception, match="2/4"):
        validate(config, schema_file())


# --- calibration -------------------------------------------------------------------------


def test_world_calibration_windows_are_full_seeded_and_checked(staged):
    from transformers import AutoTokenizer

    model_dir, world = staged
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    spec = {"samples": 6, "seq_len": 20, "batch_size": 4, "seed": 0}
    first = load_calibration(spec, tokenizer, world)
    assert [b["input_ids"].shape for b in first] == [(4, 20), (2, 20)]
    assert all(bool(b["attention_mask"].all()) for b in first)  # never padded
    again = load_calibration(spec, tokenizer, world)
    other = load_calibration({**spec, "seed": 1}, tokenizer, world)
    assert torch.equal(first[0]["input_ids"], again[0]["input_ids"])
    assert not torch.equal(first[0]["input_ids"], other[0]["input_ids"])
    assert int((first[0]["input_ids"] == tokenizer.unk_token_id).sum()) == 0
    with pytest.raises(ValueError, match="compression.calibration.seq_len"):
        load_calibration(spec, tokenizer, world, limit=10)
    with pytest.raises(ValueError, match="compression.calibration.source"):
        load_calibration({**spec, "source": "c4"}, tokenizer, world)


# --- the verb, its report, and loading at fine-tune time ---------------------------------


@pytest.mark.parametrize(
    ("method", "level", "target"),
    [
        ("magnitude", "0.5", 0.5),
        ("magnitude_layer", "0.3", 0.3),
        ("random", "0.5", 0.5),
        ("wanda", "0.5", 0.5),
        ("wanda_nm", "2of4", 0.5),
        ("sparsegpt", "0.5", 0.5),
        ("sparsegpt_nm", "7of8", 0.125),
        ("rtn", "3bit", 0.0),
        ("noise", "0.5sd", 0.0),
    ],
)
def test_prune_verb_writes_one_report_and_fine_tuning_loads_it(
    staged, tmp_path, method, level, target
):
    from transformers import AutoModel

    model_dir, world = staged
    assert prune_verb(model_dir, world, tmp_path, method, level, "--seed", "3") == 0
    report = read_json(tmp_path / "report.json")
    backbone = prunable_parameters(AutoModel.from_pretrained(str(model_dir)))
    assert report["method"] == method and report["level"] == level and report["seed"] == 3
    assert (
        report["prunable"] == "backbone" and "excluded: embeddings, norms" in report["denominator"]
    )
    assert report["denominator_numel"] == sum(p.numel() for p in backbone.values())
    assert set(report["per_layer"]) == set(backbone)
    assert report["achieved_sparsity"] == pytest.approx(target, abs=1e-3)
    assert sum(layer["pruned"] for layer in report["per_layer"].values()) == report["pruned"]
    assert (report["bits"] == 3) == (method == "rtn")
    assert (tmp_path / "weights.safetensors").exists() == METHODS[method].changes_weights

    model = task_model(model_dir)
    params, masks = load_compression(model, tmp_path / "mask.npz")
    stored = load_masks(tmp_path / "mask.npz")
    assert set(params) == set(backbone) and all(torch.equal(masks[n], stored[n]) for n in masks)
    for name, param in params.items():
        if METHODS[method].changes_weights:  # the stored weights, not the pre-trained ones
            assert not torch.equal(param.detach(), backbone[name].detach()), name
            assert torch.count_nonzero(param.detach()[~masks[name]]) == 0, name
        else:
            assert torch.equal(param.detach(), backbone[name].detach()), name
    if method == "rtn":
        assert report["zero_fraction"] > 0
        assert all(row.unique().numel() <= 2**3 for p in params.values() for row in p.detach())
    if method == "noise":  # ||W' - W|| / ||W|| of nearly zero-mean rows: about the scale
        assert 0.45 < report["relative_perturbation"] < 0.55 and report["noise_scale"] == 0.5


def test_rtn_of_an_fp16_checkpoint_is_quantized_verified_and_stored_in_fp32(staged, tmp_path):
    """An fp16 checkpoint (setting 2's mBART) quantizes on its fp32 values and stores grid
    values exactly; fp16-rounded RTN values leave their grid (the check ptq and qat make)."""
    from safetensors.torch import load_file
    from transformers import AutoModelForMaskedLM

    from pipeline.compress.quantize import off_grid, rtn_quantize

    model_dir, world = staged
    half = tmp_path / "fp16"
    AutoModelForMaskedLM.from_pretrained(str(model_dir)).half().save_pretrained(half)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        if (model_dir / name).exists():
            (half / name).write_bytes((model_dir / name).read_bytes())
    assert prune_verb(half, world, tmp_path, "rtn", "4bit") == 0
    stored = load_file(str(tmp_path / "weights.safetensors"))
    assert {t.dtype for t in stored.values()} == {torch.float32}
    assert all(off_grid(t, 4) == 0 for t in stored.values())
    # What storing in the checkpoint's dtype would have kept: off the grid.
    assert sum(off_grid(rtn_quantize(t, 4).half(), 4) for t in stored.values()) > 0


def test_head_policy_prunes_the_task_head_at_fine_tune_time(staged, tmp_path):
    model_dir, world = staged
    assert (
        prune_verb(
            model_dir, world, tmp_path, "magnitude", "0.5", "--prunable", "backbone_and_head"
        )
        == 0
    )
    report = read_json(tmp_path / "report.json")
    assert report["prunable"] == "backbone_and_head" and "fine-tune time" in report["head"]
    model = task_model(model_dir)
    params, masks = load_compression(model, tmp_path / "mask.npz")
    assert {"head:classifier.dense.weight", "head:classifier.out_proj.weight"} <= set(masks)
    total = sum(p.numel() for p in params.values())
    assert sum(int((~m).sum()) for m in masks.values()) == round(0.5 * total)
    pruned = torch.cat([p.detach().abs()[~masks[n]] for n, p in params.items()])
    kept = torch.cat([p.detach().abs()[masks[n]] for n, p in params.items()])
    assert pruned.max() <= kept.min()  # one global ranking over backbone and head
    with torch.no_grad():  # as sparse fine-tuning leaves them, then re-verified
        for name, param in params.items():
            param.mul_(masks[name])
    after = sparsity_report(params)
    assert after["prunable"] == "backbone_and_head" and after["denominator_numel"] == total
    assert after["achieved_sparsity"] == pytest.approx(0.5, abs=1 / total)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sparsegpt", "0.5", "--out-weights", ""], None),
        (["wanda", "0.5", "--prunable", "backbone_and_head"], "compression.prunable"),
        (["magnitude", "2of4"], "sparsity"),
        (["obs", "0.5"], "allowed"),
    ],
)
def test_prune_verb_rejects_bad_input_by_name(staged, tmp_path, capsys, args, message):
    model_dir, world = staged
    method, level, *extra = args
    if extra[:1] == ["--out-weights"]:  # a weight-changing method without its weights file
        code = main(
            [
                "prune",
                "--model",
                str(model_dir),
                "--method",
                method,
                "--level",
                level,
                "--out-mask",
                str(tmp_path / "m.npz"),
                "--out-report",
                str(tmp_path / "r"),
            ]
        )
        message = "--out-weights is required"
    else:
        code = main(
            [
                "prune",
                "--model",
                str(model_dir),
                "--method",
                method,
                "--level",
                level,
                "--out-mask",
                str(tmp_path / "m.npz"),
                "--out-report",
                str(tmp_path / "r"),
                *extra,
            ]
        )
    assert code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "m.npz").exists()


# --- the snakemake rules -----------------------------------------------------------------


@pytest.mark.workflow
def test_snakemake_builds_masks_and_weights_per_method(staged, tmp_path):
    """The real Snakefile schedules `prune` for mask-only methods and `prune_weights` for
    weight-changing ones, feeding the world to calibrated methods."""
    import shutil

    model_dir, world = staged
    results = tmp_path / "results"
    shutil.copytree(world, results / "world")
    shutil.copytree(model_dir, results / "models" / "m")
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    config.update(
        results_dir=str(results),
        models={"m": {"source": "hub", "hub_id": "none"}},
        settings={"data_fraction": {"model": "m", "tasks": ["syn_sentiment"], "fractions": [1.0]}},
    )
    config.pop("lmc", None)
    config.pop("mode_methods", None)
    config["compression"].update(
        methods=["wanda", "rtn"],
        sparsities=[0.5],
        bits=[4],
        calibration={"samples": 4, "seq_len": 12, "batch_size": 4},
    )
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    targets = [
        results / "masks/m/wanda-0.5/mask.npz",
        results / "masks/m/rtn-4bit/weights.safetensors",
    ]
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "--snakefile",
            str(REPO / "Snakefile"),
            "--directory",
            str(tmp_path),
            "--configfile",
            str(tmp_path / "config.yaml"),
            "--cores",
            "1",
            *map(str, targets),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "rule prune:" in done.stderr and "rule prune_weights:" in done.stderr
    assert all(t.exists() for t in targets)
    assert read_json(results / "masks/m/wanda-0.5/report.json")["calibration"]["samples"] == 4
