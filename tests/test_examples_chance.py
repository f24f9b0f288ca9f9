"""Chance levels on small hand-made evaluation sets whose answers are known."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sacrebleu.metrics import BLEU

from pipeline.tasks.chance import CHANCE_RULES, chance_level, shuffled_predictions
from pipeline.tasks.registry import TASKS, get_task


def test_every_registered_task_declares_a_known_rule():
    for name, task in TASKS.items():
        assert task.chance in CHANCE_RULES, name
    # Correlation metrics have no majority-class level: their chance is zero by definition.
    for name in ("cola", "stsb", "syn_grammar", "syn_similarity"):
        assert get_task(name).chance == "zero"


def test_majority_class_accuracy():
    rows = [{"sentence": "x", "label": y} for y in (1, 1, 1, 0)]
    assert chance_level(get_task("sst2"), rows) == 0.75
    rows = [{"sentence": "x", "label": y} for y in (0, 2, 2, 1, 2)]
    assert chance_level(get_task("mnli"), rows) == pytest.approx(0.6)


def test_mcc_and_pearson_chance_is_zero():
    rows = [{"sentence": "x", "label": y} for y in (1, 1, 0)]
    assert chance_level(get_task("cola"), rows) == 0.0
    rows = [{"sentence1": "a", "sentence2": "b", "label": y} for y in (0.5, 4.0)]
    assert chance_level(get_task("stsb"), rows) == 0.0


def test_multiple_choice_majority_answer_position():
    rows = [
        {"sentence": "The cup fell off the _ shelf.", "option1": "a", "option2": "b", "answer": a}
        for a in ("2", "2", "1", "2")
    ]
    assert chance_level(get_task("winogrande"), rows) == 0.75


def test_most_frequent_answer_exact_match():
    def qa(value):
        return {"question": "q?", "answer": {"value": value, "aliases": [value]}}

    rows = [qa("Paris"), qa("Paris"), qa("Rome"), qa("Paris"), qa("Oslo")]
    assert chance_level(get_task("triviaqa"), rows) == pytest.approx(0.6)
    f1_task = replace(get_task("triviaqa"), metric="f1")
    assert chance_level(f1_task, rows) == pytest.approx(0.6)


def test_most_frequent_answer_arithmetic():
    rows = [{"Body": "b", "Question": "q", "Equation": "1 + 2", "Answer": a} for a in (3, 3, 5)]
    assert chance_level(get_task("svamp"), rows) == pytest.approx(2 / 3)


def _pair_rows(pairs):
    """Translation rows as TranslationTask.load_split makes them (both directions)."""
    rows = []
    for x, y in pairs:
        pair = {"xx": x, "yy": y}
        rows += [{"translation": pair, "src": "xx", "tgt": "yy"}]
        rows += [{"translation": pair, "src": "yy", "tgt": "xx"}]
    return rows


def test_shuffled_reference_stays_in_the_target_language():
    task = get_task("opus100")
    # Every sentence of a language is the same: a reference shuffled within the language is
    # a perfect translation (BLEU 100); one from the other language would score 0.
    same = _pair_rows([("a b c d e", "v w x y z")] * 3)
    assert chance_level(task, same) == pytest.approx(100.0)
    # Distinct sentences: nobody gets its own reference back, so the level is the BLEU of
    # the others' references, well below 100.
    distinct = _pair_rows(
        [("a b c d e", "v w x y z"), ("a b c q r", "v w x s t"), ("k l m n o", "f g h i j")]
    )
    level = chance_level(task, distinct)
    assert 0 < level < 100
    assert level == chance_level(task, distinct)  # fixed seed: a property of the set
    refs = [r["translation"][r["tgt"]] for r in distinct]
    preds = shuffled_predictions(task, distinct)
    for row, ref, pred in zip(distinct, refs, preds, strict=True):
        assert pred != ref  # never its own reference
        assert pred in {r["translation"][r["tgt"]] for r in distinct if r["tgt"] == row["tgt"]}
    assert sorted(preds) == sorted(refs)  # a permutation of the references
    assert level == pytest.approx(BLEU().corpus_score(preds, [refs]).score)


def test_unknown_rule_is_named():
    task = replace(get_task("sst2"), chance="coin")
    with pytest.raises(ValueError, match="chance rule 'coin' is not one of"):
        chance_level(task, [{"sentence": "x", "label": 1}])
