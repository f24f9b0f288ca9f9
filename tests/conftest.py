"""Shared fixtures and helpers: a tiny synthetic world and tiny models built on the fly,
offline; the paper config; Snakemake runs of the repository's Snakefile."""

from __future__ import annotations

import copy
import functools
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a child process (a pipeline verb, Snakemake and its jobs): this
    one's, offline, this checkout importable and this interpreter's tools first on PATH."""
    return {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": str(REPO),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        **extra,
    }


def run_snakemake(
    workdir: Path, *args: str, env: dict[str, str] | None = None, timeout: int = 900
) -> subprocess.CompletedProcess:
    """Snakemake on the repository's Snakefile with ``workdir`` as its directory; ``args``:
    targets and options (targets before a ``--config``, which takes every word after it);
    ``env``: the child's environment (:func:`child_env` by default)."""
    return subprocess.run(
        [
            *[sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile")],
            *["--directory", str(workdir), *args],
        ],
        capture_output=True,
        text=True,
        env=child_env() if env is None else env,
        timeout=timeout,
    )


def snakemake_dry_run(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    """``snakemake -n`` (see :func:`run_snakemake`)."""
    return run_snakemake(workdir, "-n", *args, timeout=300)


def snakemake(
    workdir: Path, config: dict, *args: str, cores: int = 2
) -> subprocess.CompletedProcess:
    """A real Snakemake run in ``workdir`` on ``config`` (written to
    ``workdir/config.yaml``); ``args``: targets and options."""
    config_path = workdir / "config.yaml"
    config_path.write_text(yaml.safe_dump(config))
    return run_snakemake(workdir, "--configfile", str(config_path), "--cores", str(cores), *args)


def job_counts(output: str) -> dict[str, int]:
    """Parse snakemake's 'Job stats' table: rule -> count."""
    table = output.split("Job stats:")[1]
    return {
        m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M) if m[1] != "total"
    }


def jitter(seed: int, x: float, fraction: float = 0.0, scale: float = 0.002) -> float:
    """Small deterministic noise, different per seed, so intervals are not degenerate."""
    import numpy as np

    return scale * np.sin(7 * seed + 13 * x + 29 * fraction)


def run_identity(setting: str, task: str, difficulty: str, seed: int, **columns) -> dict:
    """The identity of one run's row of a simulated results table (model ``m``, accuracy),
    then ``columns``."""
    axis, level = difficulty.split("-", 1)
    return {
        "study": "t",
        "setting": setting,
        "model": "m",
        "task": task,
        "difficulty": difficulty,
        "difficulty_axis": axis,
        "difficulty_level": level,
        "seed": seed,
        "protocol_hash": "p",
        "protocol_json": "{}",
        "metric": "accuracy",
        **columns,
    }


@functools.cache
def _parsed(name: str) -> dict:
    return yaml.safe_load((REPO / name).read_text())


def default() -> dict:
    """config.yaml (the default study), parsed: a fresh copy each call (tests change it)."""
    return copy.deepcopy(_parsed("config.yaml"))


def paper() -> dict:
    """configs/paper.yaml, parsed: a fresh copy each call (tests change it)."""
    return copy.deepcopy(_parsed("configs/paper.yaml"))


@pytest.fixture
def paper_config() -> dict:
    """configs/paper.yaml, parsed (a fresh copy per test)."""
    return paper()


TINY_WORLD = {
    "seed": 7,
    "n_entities": 12,
    "n_relations": 2,
    "n_objects": 8,
    "n_adjectives": 8,
    "languages": {"maj_a": 0.7, "min_b": 0.2, "min_c": 0.1},
    "corpus_sentences": 400,
    "tasks": {
        "syn_sentiment": {"train": 96, "validation": 48, "noise": 0.05, "seen_fraction": 0.5},
        "syn_factcheck": {"train": 96, "validation": 48, "noise": 0.1, "seen_fraction": 0.5},
        "syn_xfactcheck": {
            **{"train": 96, "validation": 48, "noise": 0.1, "seen_fraction": 0.5},
            "language": "min_b",
        },
    },
}
TINY_SIZE = {
    "hidden_size": 16,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 32,
}
TINY_PRETRAIN = {"steps": 20, "batch_size": 16, "lr": 0.001, "max_length": 24, "seed": 0}


def tiny_study(
    results: Path,
    sparsities: list[float],
    modes: list[str],
    seeds: list[int],
    fractions: list[float],
) -> dict:
    """A complete study config over the tiny world and one tiny RoBERTa (workflow tests)."""
    return {
        "study": "tiny",
        "results_dir": str(results),
        "world": TINY_WORLD,
        "models": {
            "m": {
                "source": "synthetic",
                "arch": "roberta",
                "size": TINY_SIZE,
                "pretrain": TINY_PRETRAIN,
            }
        },
        "compression": {"methods": ["magnitude"], "sparsities": sparsities},
        "modes": modes,
        "seeds": seeds,
        "protocol": {"lr": 0.001, "epochs": 1, "batch_size": 16, "max_length": 24},
        "settings": {
            "data_fraction": {"model": "m", "tasks": ["syn_sentiment"], "fractions": fractions}
        },
    }


@pytest.fixture(autouse=True)
def _one_thread():
    import torch

    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_world(tmp_path_factory) -> Path:
    from pipeline.world import build_world

    out = tmp_path_factory.mktemp("world") / "world"
    build_world(TINY_WORLD, out)
    return out


@pytest.fixture(scope="session")
def tiny_roberta(tiny_world, tmp_path_factory) -> Path:
    """A tiny RoBERTa masked LM pre-trained for a few steps on the tiny world."""
    from pipeline.models.pretrain import pretrain

    out = tmp_path_factory.mktemp("models") / "tiny_roberta"
    out.mkdir()
    pretrain(tiny_world, "roberta", TINY_SIZE, TINY_PRETRAIN, out, progress=False)
    return out


def magnitude_mask(model, level: str, folder: Path) -> Path:
    """``folder/mask.npz``: global magnitude masks of ``model``'s prunable weights."""
    from pipeline.compress.magnitude import global_magnitude_masks
    from pipeline.compress.masks import save_masks
    from pipeline.compress.prunable import prunable_parameters

    path = folder / "mask.npz"
    save_masks(path, global_magnitude_masks(prunable_parameters(model), level))
    return path


@pytest.fixture(scope="session")
def mask_file(tiny_roberta, tmp_path_factory) -> Path:
    """The tiny RoBERTa's magnitude masks at sparsity 0.5."""
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(tiny_roberta))
    return magnitude_mask(model, "0.5", tmp_path_factory.mktemp("mask"))


def dry_check(config: dict) -> None:
    """What the Snakefile does with a config before it builds the DAG: the schema (types
    coerced, defaults filled in), then the checks a schema cannot express."""
    from pipeline.config import check_config
    from pipeline.overrides import validate

    validate(config)
    check_config(config)


def load_profile(
    profile: Path, argv: list[str], path: str | None = None, software: str | None = None
) -> dict:
    """A Snakemake profile as Snakemake reads it: its YTE template evaluated for the command
    line ``argv`` with ``path`` as PATH (this one's by default) and, if given, SOFTWARE set
    in its edit block."""
    import yte

    text = profile.read_text()
    if software is not None:
        text = text.replace("SOFTWARE: conda", f"SOFTWARE: {software}")
    saved_argv, saved_path = sys.argv, os.environ["PATH"]
    sys.argv = argv
    os.environ["PATH"] = saved_path if path is None else path
    try:
        return yte.process_yaml(text, require_use_yte=True)
    finally:
        sys.argv, os.environ["PATH"] = saved_argv, saved_path


def member_minutes(attempt: int) -> int:
    """One tiny-study fine-tune's walltime request at ``attempt`` (the cost model's default
    throughput row: model m is not in the table)."""
    from pipeline.cluster import walltime
    from pipeline.cluster.plan import load_plan

    plan = load_plan(tiny_study(Path("results"), [0.5], ["dense"], [0], [1.0]))
    wc = {"model": "m", "task": "syn_sentiment", "difficulty": "fraction-1", "mode": "dense"}
    return walltime.requested_minutes(plan, "finetune", wc, attempt)


def tiny_spec(model_dir: Path, world_dir: Path, **fields) -> dict:
    """The JSON run spec (pipeline/finetune/spec.py) of a syn_sentiment fine-tune of the
    tiny model in study "t" (data fraction 1, no progress bar); ``fields``: the rest."""
    return {
        "study": "t",
        "setting": "data_fraction",
        "model_name": "tiny",
        "model_dir": str(model_dir),
        "task_name": "syn_sentiment",
        "world_dir": str(world_dir),
        "difficulty": "fraction-1",
        "progress": False,
        **fields,
    }


def finetune_command(spec: dict) -> list[str]:
    """The finetune verb's command line on the run spec ``spec``."""
    return [sys.executable, "-m", "pipeline", "finetune", json.dumps(spec)]


def tiny_run(model_dir: Path, world_dir: Path, compression: str, mode: str, **fields) -> dict:
    """One fine-tune in-process (``run_cell``) of the spec :func:`tiny_spec` describes,
    ``fields`` (protocol included) as typed RunSpec values."""
    from pipeline.finetune.run import run_cell
    from pipeline.finetune.spec import RunSpec

    spec = tiny_spec(model_dir, world_dir, compression=compression, mode_name=mode, **fields)
    return run_cell(RunSpec(**{**spec, "model_dir": model_dir, "world_dir": world_dir}))


def train_dense(adapter, model, tokenizer, task, rows: list[dict], protocol, accelerator=None):
    """Dense fine-tuning of ``model`` on ``rows`` in-process: every prunable weight trains,
    no masks, no checkpoints, no progress bar; ``accelerator``: make_accelerator(protocol)
    by default. Returns the trainer's summary."""
    from pipeline.compress.prunable import prunable_parameters
    from pipeline.finetune.modes import get_mode
    from pipeline.finetune.trainer import Loaded, Session, make_accelerator, train

    return train(
        Loaded(adapter, model, tokenizer),
        task,
        rows,
        protocol,
        get_mode("dense"),
        (prunable_parameters(model), None),
        make_accelerator(protocol) if accelerator is None else accelerator,
        Session(progress=False),
    )
