"""Knowledge sits where pruning acts: the tasks that need pre-trained knowledge are not
solvable by a linear probe on mean-pooled input embeddings (which are never pruned), even
embeddings that hold everything the world knows about each word; the same probe does
solve sentiment once negation, the part only the blocks can compute, is taken out."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from pipeline.tasks.registry import get_task
from pipeline.world import build_world
from pipeline.world.probe import majority_rate, oracle_embeddings, probe_accuracy
from tests.conftest import TINY_WORLD

MARGIN = 0.08  # about 2 SE on 400 validation rows


def _world(tmp_path, negation: float):
    spec = {"train": 600, "validation": 400, "noise": 0.0, "seen_fraction": 0.5}
    tasks = {
        "syn_sentiment": {**spec, "negation": negation},
        "syn_factcheck": spec,
        "syn_paraphrase": spec,
        "syn_xfactcheck": {**spec, "language": "min_b"},
    }
    out = tmp_path / f"world-{negation}"
    build_world({**TINY_WORLD, "n_adjectives": 16, "tasks": tasks}, out)
    return out


def _probe(world, task_name):
    task = get_task(task_name)
    train, validation = (
        pq.read_table(world / "tasks" / task_name / f"{split}.parquet").to_pylist()
        for split in ("train", "validation")
    )
    accuracy = probe_accuracy(
        train, validation, task.text_fields, oracle_embeddings(world, *TINY_WORLD["languages"])
    )
    return accuracy, majority_rate(validation)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return _world(tmp_path_factory.mktemp("probe"), negation=0.5)


@pytest.mark.parametrize(
    "task_name", ["syn_sentiment", "syn_factcheck", "syn_paraphrase", "syn_xfactcheck"]
)
def test_embeddings_alone_stay_at_chance(world, task_name):
    accuracy, chance = _probe(world, task_name)
    assert accuracy <= chance + MARGIN, (task_name, accuracy, chance)


def test_the_probe_reads_polarity_when_no_composition_is_needed(tmp_path):
    accuracy, chance = _probe(_world(tmp_path, negation=0.0), "syn_sentiment")
    assert accuracy >= 0.9 > chance + MARGIN
