"""One run spec per fine-tune: the rule passes it as one JSON argument, ``run_cell`` takes it,
and its fingerprint is the one identity of a run (checkpoints and kept results). Functions of
``pipeline/`` take at most 8 parameters, and none takes a cell's fields as ``**kwargs``."""

from __future__ import annotations

import ast
import inspect
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from pipeline import study
from pipeline.finetune.protocol import Protocol
from pipeline.finetune.run import run_cell
from pipeline.finetune.spec import RunSpec
from pipeline.overrides import study_config
from tests.conftest import snakemake, snakemake_dry_run, tiny_study
from tests.run_specs import finetune_specs

REPO = Path(__file__).resolve().parents[1]
MAX_PARAMETERS = 8
# The functions that take ``**kwargs``, and what they forward: never a cell's fields.
FORWARDING = {
    "load": "from_pretrained's placement and dropout overrides (finetune/adapters)",
    "load_for_task": "from_pretrained's placement: dtype, device_map (finetune/run.py)",
    "_sentencepiece": "the SentencePiece trainer's options (staging/standins.py)",
}


def _functions() -> list[tuple[str, ast.FunctionDef]]:
    out = []
    for path in sorted((REPO / "pipeline").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                out.append((str(path.relative_to(REPO)), node))
    return out


def _parameters(node: ast.FunctionDef) -> list[str]:
    args = node.args
    names = [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]
    names += [f"*{a.arg}" for a in (args.vararg, args.kwarg) if a is not None]
    return names[1:] if names[:1] in (["self"], ["cls"]) else names


def test_no_function_in_pipeline_takes_more_than_8_parameters():
    offenders = [
        f"{path}:{node.lineno} {node.name} ({len(_parameters(node))})"
        for path, node in _functions()
        if len(_parameters(node)) > MAX_PARAMETERS
    ]
    assert offenders == [], offenders


def test_only_forwarding_functions_take_keyword_arguments():
    takers = {f"{path}:{node.name}" for path, node in _functions() if node.args.kwarg is not None}
    assert takers and {t.split(":")[1] for t in takers} <= set(FORWARDING), sorted(takers)


def test_run_cell_takes_one_run_spec():
    (parameter,) = inspect.signature(run_cell).parameters.values()
    assert parameter.annotation in ("RunSpec", RunSpec)


def _spec(tmp_path: Path) -> RunSpec:
    model = tmp_path / "model"
    model.mkdir(exist_ok=True)
    (model / "config.json").write_text('{"weights": 1}')
    protocol = Protocol(lr=1e-3, epochs=1, batch_size=8, max_length=16, seed=0)
    return RunSpec(
        "t", "data_fraction", "m", "syn_sentiment", "fraction-0.5", "dense", "dense", protocol,
        model_dir=model, out=tmp_path / "run" / "metrics.json",
    )  # fmt: skip


def test_the_fingerprint_is_the_run_not_where_it_writes(tmp_path):
    spec = _spec(tmp_path)
    before = spec.fingerprint()
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    (moved / "config.json").write_text('{"weights": 1}')  # the same content, another folder
    same = [
        replace(spec, out=tmp_path / "other" / "metrics.json", examples_path=tmp_path / "e"),
        replace(spec, checkpoint_dir=tmp_path / "c", checkpoint_minutes=5, threads=4),
        replace(spec, progress=False, tracking="tensorboard", tracking_dir=tmp_path / "t"),
        replace(spec, out_dir=tmp_path / "finetuned", model_dir=moved),
    ]
    assert [s.fingerprint() for s in same] == [before] * len(same)
    other = [
        replace(spec, protocol=replace(spec.protocol, seed=1)),
        replace(spec, protocol=replace(spec.protocol, lr=2e-3)),
        replace(spec, study="u"),
        replace(spec, setting="languages"),
        replace(spec, model_name="m/p1"),
        replace(spec, difficulty="fraction-1"),
        replace(spec, compression="magnitude-0.5"),
        replace(spec, mode_name="zero_shot"),
        replace(spec, subset="first"),
        replace(spec, subset_seed=3),
        replace(spec, budget=4.0),
        replace(spec, device="cuda"),
        replace(spec, task_options={"pivot": "maj_a"}),
    ]
    prints = [s.fingerprint() for s in other]
    assert before not in prints and len(set(prints)) == len(other)
    (spec.model_dir / "config.json").write_text('{"weights": 2}')  # re-staged
    assert spec.fingerprint() != before


def test_a_spec_reads_from_json_or_a_file_and_names_a_wrong_key(tmp_path):
    spec = _spec(tmp_path)
    values = json.loads(spec.to_json())
    read = RunSpec.from_dict(values)  # the verb's defaults: beside the record
    assert read.examples_path == tmp_path / "run" / "examples.parquet"
    assert read.checkpoint_dir == tmp_path / "run" / "checkpoint"
    assert replace(read, examples_path=None, checkpoint_dir=None) == spec
    text = read.to_json()
    assert RunSpec.parse(text) == read
    (tmp_path / "spec.json").write_text(text)
    assert RunSpec.parse(str(tmp_path / "spec.json")) == read
    with pytest.raises(ValueError, match=r"unknown keys \['seed'\], missing keys \['mode_name'\]"):
        RunSpec.from_dict({k: v for k, v in values.items() if k != "mode_name"} | {"seed": 0})
    with pytest.raises(ValueError, match="finetune spec: protocol: .*'lr'"):
        RunSpec.from_dict(values | {"protocol": {"seed": 0}})


def test_the_verb_refuses_a_bad_spec_naming_the_key(tmp_path):
    spec = json.loads(_spec(tmp_path).to_json())
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "finetune", json.dumps(spec | {"sed": 1})],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert done.returncode == 2 and "unknown keys ['sed']" in done.stderr


def test_every_cell_of_the_default_study_has_one_valid_spec():
    config = study_config(REPO / "config.yaml", [], {})
    the_study = study.Study.from_config(config)
    specs = [the_study.run_spec(cell) for cell in the_study.cells]
    assert [RunSpec.parse(spec.to_json()) for spec in specs] == specs
    assert len({s.fingerprint() for s in specs}) == len(the_study.cells)
    first = specs[0]
    assert first.protocol.seed == the_study.cells[0].seed
    assert first.study == config["study"] and first.device == config.get("device", "cpu")


def test_the_rule_passes_each_cell_one_spec_of_its_files(tmp_path):
    config = tiny_study(tmp_path / "results", [0.5], ["dense", "sparse"], [0, 1], [1.0])
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    done = snakemake_dry_run(tmp_path, "all", "-p", "--configfile", str(tmp_path / "config.yaml"))
    assert done.returncode == 0, done.stderr[-3000:]
    specs = [RunSpec.from_dict(values) for values in finetune_specs(done.stdout)]
    assert len(specs) == 4  # dense and magnitude-0.5/sparse, two seeds
    for spec in specs:
        run = f"{tmp_path / 'results'}/runs/m/syn_sentiment/fraction-1/{spec.compression}"
        assert str(spec.out) == f"{run}/{spec.mode_name}/seed{spec.seed}/metrics.json"
        assert spec.subset_seed == spec.seed and spec.checkpoint_minutes == 20
        assert (spec.masks_path is None) == (spec.compression == "dense")
        assert spec.protocol.lr == 0.001 and spec.protocol.epochs == 1


@pytest.mark.workflow
def test_a_changed_spec_reruns_the_cell_and_a_changed_interval_does_not(tmp_path):
    config = tiny_study(tmp_path / "results", [0.5], ["dense"], [0], [1.0])
    cell = f"{tmp_path / 'results'}/runs/m/syn_sentiment/fraction-1/dense/dense/seed0/metrics.json"

    def build(*args: str) -> str:
        done = snakemake(tmp_path, config, cell, *args, cores=1)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout + done.stderr

    build()
    config["checkpoint_minutes"] = 5
    config["tracking"] = {"backend": "tensorboard"}
    assert "Nothing to be done" in build("-n")
    config["protocol"]["lr"] = 0.002
    planned = build("-n")
    assert "rule finetune:" in planned and "Params have changed" in planned
