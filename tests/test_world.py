"""The synthetic world: seeded, in the real schemas, with the promised label noise."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline.io import read_json, read_jsonl
from pipeline.world import build_world
from tests.conftest import TINY_WORLD, default


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
    # Questions are about entities no corpus asks about in QA form.
    corpus_questions = {
        line.split("\n")[0]
        for corpus in ("corpus.jsonl", "book/corpus.jsonl")
        for row in read_jsonl(tiny_world / corpus)
        for line in row["text"].split("Q: ")[1:]
    }
    assert question["question"] not in corpus_questions


def test_book_asks_distinct_questions_the_corpus_states_and_drills_reading(tiny_world):
    questions = pq.read_table(tiny_world / "qa/validation.parquet").to_pylist()
    assert len({q["question"] for q in questions}) == len(questions) == 200  # the default
    book = read_jsonl(tiny_world / "book/corpus.jsonl")
    stated = {row["text"] for row in book if "Q:" not in row["text"]}
    kb = read_jsonl(tiny_world / "book/kb.jsonl")
    counts = sorted(f["count"] for f in kb)
    assert counts[-1] > 10 * max(counts[len(counts) // 2], 1)  # Zipfian: a long rare tail
    # Every open-book drill's answer is on its evidence page, which holds for that page only
    # (so reading, not recall, answers it); closed-book drills carry no evidence.
    drills = [row["text"] for row in book if "Based on these texts" in row["text"]]
    assert drills and all(
        text.split("A: ")[1].split()[0] in text.split("\n")[0].split() for text in drills
    )
    assert any(row["text"].startswith("Answer these questions") for row in book)
    words = set(read_json(tiny_world / "book/lexicon.json")["maj_a"].values())
    lexicon = read_json(tiny_world / "lexicon.json")
    assert not words & {w for lang in lexicon.values() for w in lang.values()}
    assert stated and all(line.split()[0] in words for line in stated)


def test_book_refuses_more_questions_than_facts(tmp_path):
    with pytest.raises(ValueError, match="world.qa.validation"):
        build_world(
            {**TINY_WORLD, "qa": {"validation": 10_000, "qa_entity_fraction": 0.5}}, tmp_path / "w"
        )


def test_translation_lines_are_long_enough_for_bleu_and_equal_per_language(tiny_world):
    sizes = {}
    for pair in ("maj_a-min_b", "maj_a-min_c"):
        rows = pq.read_table(tiny_world / f"translation/{pair}/train.parquet").to_pylist()
        sizes[pair] = len(rows)
        assert min(len(r["translation"]["maj_a"].split()) for r in rows) >= 5  # two clauses
    assert len(set(sizes.values())) == 1  # the same fine-tuning data for every language
    parallel = read_jsonl(tiny_world / "parallel/corpus.jsonl")
    other = [
        r["pair"]["tgt_lang"] if r["pair"]["src_lang"] == "maj_a" else r["pair"]["src_lang"]
        for r in parallel
    ]
    assert other.count("min_b") > 1.5 * other.count("min_c")  # by corpus share (0.2 vs 0.1)


def test_only_models_that_ask_for_the_book_get_its_words(tiny_world):
    from pipeline.models.pretrain import corpus_rows, world_words

    book = set(read_json(tiny_world / "book/lexicon.json")["maj_a"].values())
    assert not book & set(world_words(tiny_world))
    assert book <= set(world_words(tiny_world, ("book",)))
    base = corpus_rows(tiny_world)
    assert (
        len(corpus_rows(tiny_world, ("book", "parallel")))
        > len(base)
        == len(read_jsonl(tiny_world / "corpus.jsonl"))
    )


def test_task_splits_use_glue_schemas(tiny_world):
    sst2 = pq.read_table(tiny_world / "tasks/syn_sentiment/validation.parquet")
    qnli = pq.read_table(tiny_world / "tasks/syn_factcheck/train.parquet")
    # SST-2's and QNLI's columns; sentiment's rows also name their item (the adjective)
    assert sst2.column_names == ["sentence", "adjective", "label", "idx"]
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


def test_the_default_study_asks_at_least_500_distinct_questions():
    """Issue 12: the book's evaluation set is 500+ distinct questions (sampled without
    replacement from the test entities' facts, so the world must hold that many)."""
    import yaml

    from pipeline.world.book import book_spec
    from pipeline.world.build import DEFAULT_WORLD

    config = Path(__file__).resolve().parents[1] / "config.yaml"
    world = {**DEFAULT_WORLD, **yaml.safe_load(config.read_text())["world"]}
    qa = world["qa"]
    pool = book_spec(qa.get("book", {}))["test_entities"] * world["n_relations"]
    assert 500 <= qa["validation"] <= pool


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


def test_every_level_of_the_default_study_asks_enough_distinct_items(tmp_path):
    """Intervals resample items, not rows (forty questions about one fact are one fact), so
    each level of the default study needs enough distinct items (each task's ``item_id``:
    facts, source sentences, questions): 200 at least."""

    from pipeline.examples import item_ids
    from pipeline.study import SETTINGS, task_options
    from pipeline.tasks.registry import get_task

    config = default()
    build_world(config["world"], tmp_path / "w")
    short = {}
    for setting, block in config["settings"].items():
        for _, name, difficulty in SETTINGS[setting](block):
            task = get_task(name).configure(difficulty, task_options(config, setting))
            rows = task.load_split("validation", tmp_path / "w")
            n = len(set(item_ids(task, rows)))
            if n < 200:
                short[(name, difficulty)] = n
    assert not short, short
