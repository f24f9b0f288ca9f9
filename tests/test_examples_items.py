"""Every per-example row names its knowledge item (``item_id``), declared once per task:
never finer than the inputs (rows with identical inputs share an item), and on the
synthetic tasks the unit the task asks about (an adjective, an object, a fact)."""

from __future__ import annotations

from collections import defaultdict

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.examples import EXAMPLES_TABLE, gather, item_ids
from pipeline.io import read_json
from pipeline.tasks.base import ClassificationTask
from pipeline.tasks.registry import TASKS, get_task
from pipeline.world import build_world
from tests.conftest import TINY_WORLD

GLUE = ("syn_sentiment", "syn_grammar", "syn_paraphrase", "syn_factcheck", "syn_rte")
SPEC = {"train": 40, "validation": 300, "noise": 0.1, "seen_fraction": 0.5}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    out = tmp_path_factory.mktemp("items") / "world"
    build_world({**TINY_WORLD, "tasks": {name: SPEC for name in GLUE}}, out)
    return out


def inputs(task, row) -> object:
    """What the model reads of a row (the finest an item may be)."""
    if task.kind in ("classification", "regression"):
        return tuple(row[f] for f in task.text_fields)
    if task.kind == "cloze":
        return task.cloze(row)[0]
    return task.source_target(row)[0]


LEVELS = [(name, "task-all") for name in GLUE] + [
    ("syn_fact_recall", "freq-all"),
    ("syn_triviaqa", "book-open"),
    ("syn_translation", "lang-minority"),
]
OPTIONS = {"pivot": "maj_a", "groups": {"minority": ["min_b", "min_c"]}}


@pytest.mark.parametrize("name,difficulty", LEVELS)
def test_rows_with_identical_inputs_share_an_item(world, name, difficulty):
    task = get_task(name).configure(difficulty, OPTIONS)
    rows = task.load_split("validation", world)
    items = item_ids(task, rows)
    assert len(items) == len(rows) and all(isinstance(i, str) and i for i in items)
    by_inputs = defaultdict(set)
    for row, item in zip(rows, items, strict=True):
        by_inputs[inputs(task, row)].add(item)
    assert all(len(shared) == 1 for shared in by_inputs.values()), name


def _concept(world, word: str) -> str:
    return {w: c for c, w in read_json(world / "lexicon.json")["maj_a"].items()}[word]


def test_synthetic_items_are_the_knowledge_units_not_the_rows(world):
    """Sentiment's item is the sentence's (unseen) adjective, paraphrase's the first
    question's object, factcheck's the fact asked: many rows, few items."""
    lexicon = read_json(world / "lexicon.json")["maj_a"]
    sentiment = get_task("syn_sentiment")
    rows = sentiment.load_split("validation", world)
    for row, item in zip(rows, item_ids(sentiment, rows), strict=True):
        assert lexicon[item] in row["sentence"].split()
    assert len(set(item_ids(sentiment, rows))) <= TINY_WORLD["n_adjectives"] < len(rows)
    paraphrase = get_task("syn_paraphrase")
    rows = paraphrase.load_split("validation", world)
    for row, item in zip(rows, item_ids(paraphrase, rows), strict=True):
        assert lexicon[item] in row["question1"].split()
    factcheck = get_task("syn_factcheck")
    rows = factcheck.load_split("validation", world)
    facts = defaultdict(set)
    for row, item in zip(rows, item_ids(factcheck, rows), strict=True):
        concepts = [_concept(world, w) for w in row["sentence"].split()]
        facts[item].add(tuple(c for c in concepts if c[0] in "ER"))  # E<i>, R<i>; not O<i>
    assert all(len(f) == 1 for f in facts.values())  # an item is one fact
    n_facts = TINY_WORLD["n_entities"] * TINY_WORLD["n_relations"]
    assert len(facts) <= n_facts < len(rows)
    recall = get_task("syn_fact_recall")
    rows = recall.load_split("validation", world)
    assert len(set(item_ids(recall, rows))) == len(rows) == n_facts  # one cloze per fact


def test_a_hub_row_is_its_own_item():
    task = TASKS["qnli"]
    assert isinstance(task, ClassificationTask) and not task.item
    rows = [
        {"question": "who?", "sentence": "she did.", "label": 0},
        {"question": "who?", "sentence": "he did.", "label": 1},
        {"question": "who?", "sentence": "she did.", "label": 1},
    ]
    first, second, third = item_ids(task, rows)
    assert first == third != second


def test_gather_keeps_items_and_reads_a_table_without_them_as_one_item_per_example(tmp_path):
    record = {"study": "s", "setting": "across_tasks", "model": "m", "task": "syn_factcheck",
              "difficulty": "task-all", "difficulty_axis": "task", "difficulty_level": "all",
              "compression": "dense", "method": "dense", "level": "0", "mode": "dense",
              "seed": 0, "metric": "accuracy"}  # fmt: skip
    old = tmp_path / "old.parquet"
    pq.write_table(
        pa.table({"example_id": [0, 1], "score": [1.0, 0.0], "prediction": [1.0, 1.0],
                  "target": [1.0, 0.0], "stats": [[], []]}),
        old,
    )  # fmt: skip
    new = tmp_path / "new.parquet"
    pq.write_table(
        pa.table({"example_id": [0, 1], "item_id": ["f", "f"], "score": [1.0, 0.0],
                  "prediction": [1.0, 1.0], "target": [1.0, 0.0], "stats": [[], []]}),
        new,
    )  # fmt: skip
    table = gather([(record, old), (record, new)])
    assert table.schema.equals(EXAMPLES_TABLE, check_metadata=False)
    assert table.column("item_id").to_pylist() == ["0", "1", "f", "f"]
