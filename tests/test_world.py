"""The synthetic world: seeded, in the real schemas, with the promised label noise."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from pipeline.io import read_json, read_jsonl
from pipeline.world import build_world
from tests.conftest import TINY_WORLD


def test_world_is_a_pure_function_of_its_seed(tiny_world, tmp_path):
    again = tmp_path / "again"
    build_world(TINY_WORLD, again)
    for rel in ("corpus.jsonl", "kb.jsonl", "lexicon.json", "tasks/syn_factcheck/train.parquet"):
        assert (again / rel).read_bytes() == (tiny_world / rel).read_bytes(), rel
    other = tmp_path / "other"
    build_world({**TINY_WORLD, "seed": 8}, other)
    assert (other / "corpus.jsonl").read_bytes() != (tiny_world / "corpus.jsonl").read_bytes()


def test_translation_and_qa_use_opus_and_triviaqa_schemas(tiny_world):
    pair = pq.read_table(tiny_world / "translation/maj_a-min_b/train.parquet").to_pylist()[0]
    assert set(pair["translation"]) == {"maj_a", "min_b"}
    question = pq.read_table(tiny_world / "qa/validation.parquet").to_pylist()[0]
    assert question["answer"]["value"] in question["answer"]["aliases"]
    assert question["answer"]["value"] in question["entity_pages"]["wiki_context"][0].split()
    # Questions are about entities the corpus never asks about in QA form.
    corpus_questions = {
        row["text"].split("Q: ")[1].split("\n")[0]
        for row in read_jsonl(tiny_world / "corpus.jsonl")
        if "Q: " in row["text"]
    }
    assert question["question"] not in corpus_questions


def test_task_splits_use_glue_schemas(tiny_world):
    sst2 = pq.read_table(tiny_world / "tasks/syn_sentiment/validation.parquet")
    qnli = pq.read_table(tiny_world / "tasks/syn_factcheck/train.parquet")
    assert sst2.column_names == ["sentence", "label", "idx"]
    assert qnli.column_names == ["question", "sentence", "label", "idx"]
    assert set(sst2.column("label").to_pylist()) == {0, 1}


def test_corpus_follows_language_shares(tmp_path):
    out = tmp_path / "w"
    build_world({**TINY_WORLD, "corpus_sentences": 4000}, out)
    # QA-format rows are all in the pivot language; the rest follow the shares.
    langs = [row["lang"] for row in read_jsonl(out / "corpus.jsonl") if "Q:" not in row["text"]]
    assert langs.count("maj_a") / len(langs) == pytest.approx(0.7, abs=0.03)


def test_factcheck_labels_follow_the_knowledge_base_up_to_the_noise_rate(tmp_path):
    out = tmp_path / "w"
    params = {
        **TINY_WORLD,
        "tasks": {
            **TINY_WORLD["tasks"],
            "syn_factcheck": {
                "train": 4000,
                "validation": 2000,
                "noise": 0.2,
                "seen_fraction": 1.0,
            },
        },
    }
    build_world(params, out)
    lexicon = read_json(out / "lexicon.json")["maj_a"]
    word_to_concept = {w: c for c, w in lexicon.items()}
    facts = {(f["entity"], f["relation"]): f["object"] for f in read_jsonl(out / "kb.jsonl")}
    rows = pq.read_table(out / "tasks/syn_factcheck/train.parquet").to_pylist()
    disagree = 0
    for row in rows:
        entity, relation, obj = (word_to_concept[w] for w in row["sentence"].split())
        true_label = 0 if facts[(entity, relation)] == obj else 1
        disagree += row["label"] != true_label
    assert disagree / len(rows) == pytest.approx(0.2, abs=0.025)
    # The reference ("Bayes") accuracy is that of the noisy labels against the clean ones.
    bayes = read_json(out / "world.json")["tasks"]["syn_factcheck"]["bayes_accuracy"]
    assert bayes == pytest.approx(0.8, abs=0.025)


def _entity_spread(out) -> float:
    """Most / least often stated entity (its facts' counts summed, QA lines included)."""
    counts: dict[str, int] = {}
    for fact in read_jsonl(out / "kb.jsonl"):
        counts[fact["entity"]] = counts.get(fact["entity"], 0) + fact["count"]
    return max(counts.values()) / max(min(counts.values()), 1)


def test_a_smaller_zipf_exponent_flattens_entity_frequency(tmp_path):
    spreads = {}
    for exponent in (1.0, 0.5):
        build_world(
            {**TINY_WORLD, "corpus_sentences": 4000, "zipf_exponent": exponent},
            out := tmp_path / str(exponent),
        )
        spreads[exponent] = _entity_spread(out)
    assert spreads[0.5] < spreads[1.0] / 1.5, spreads
