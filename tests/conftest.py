"""Shared fixtures: a tiny synthetic world and tiny models built on the fly, offline."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]


def snakemake_dry_run(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    """``snakemake -n`` of the repository's Snakefile with ``workdir`` as its directory;
    ``args``: targets and options (targets before a ``--config``, which takes every word
    after it)."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        [
            *[sys.executable, "-m", "snakemake", "-n", "--snakefile", str(REPO / "Snakefile")],
            *["--directory", str(workdir), *args],
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


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
