"""Per-example outcomes recompute every metric kind exactly (to float precision) through
``from_examples``, on the full set and on resamples, against the task objects' own corpus
scores and the reference libraries (sklearn, scipy, sacrebleu)."""

import math

import numpy as np
import pandas as pd
import pytest
from sacrebleu.metrics import BLEU, CHRF
from scipy.stats import pearsonr

from pipeline.examples import examples_table
from pipeline.tasks.metrics import from_examples, generation_examples, logit_examples
from pipeline.tasks.registry import get_task

HYPOTHESES = [
    "the cat sat on a mat .",
    "Hello there, world!",
    "numbers like 3.5 and 1,000 stay",
    "",
    "a completely different sentence",
    "the dog ran",
]
REFERENCES = [
    "the cat sat on the mat .",
    "Hello, world!",
    "numbers like 3.5 and 1,000 stay",
    "an empty hypothesis",
    "a completely different sentence here",
    "the dog ran away quickly",
]


def frame(columns: dict) -> pd.DataFrame:
    """Through the typed Arrow table, as a run's examples.parquet would be read back."""
    return examples_table(columns).to_pandas()


@pytest.fixture(scope="module")
def labels():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 300)
    p = np.where(rng.random(300) < 0.75, y, 1 - y)
    return y.tolist(), p.tolist()


@pytest.mark.parametrize("task_name", ["sst2", "cola", "qqp"])
def test_classification_metrics_recompute_exactly(task_name, labels):
    task = get_task(task_name)
    y, p = labels
    reported = task.score(y, p)
    rows = frame(logit_examples(y, p, regression=False))
    for metric, value in reported.items():
        assert from_examples(metric, rows) == pytest.approx(value, rel=1e-12, abs=1e-12)
    assert rows["score"].mean() == pytest.approx(reported.get("accuracy", np.mean(rows["score"])))
    assert rows["example_id"].tolist() == list(range(len(y)))


def test_regression_metrics_recompute_exactly():
    rng = np.random.default_rng(5)
    gold = rng.uniform(0, 5, 120)
    pred = (gold + rng.normal(0, 1.0, 120)).astype(np.float32)  # logits are float32
    task = get_task("stsb")
    reported = task.score(gold.tolist(), pred.tolist())
    rows = frame(logit_examples(gold.tolist(), pred.tolist(), regression=True))
    for metric, value in reported.items():
        assert from_examples(metric, rows) == pytest.approx(value, rel=1e-12)
    assert rows["score"].to_numpy() == pytest.approx((pred.astype(float) - gold) ** 2)


@pytest.mark.parametrize("metric", ["bleu", "chrf"])
def test_sacrebleu_metrics_recompute_from_summed_statistics(metric):
    scorer = {"bleu": BLEU, "chrf": CHRF}[metric]()
    task = get_task("opus100")
    refs = [[r] for r in REFERENCES]
    rows = frame(generation_examples(_with_metric(task, metric), refs, HYPOTHESES))
    assert rows["score"].isna().all() and rows["prediction"].isna().all()
    corpus = scorer.corpus_score(HYPOTHESES, [REFERENCES]).score
    assert 0 < corpus < 100
    assert from_examples(metric, rows) == pytest.approx(corpus, rel=1e-12)
    if metric == "bleu":
        assert from_examples("bleu", rows) == pytest.approx(task.score(refs, HYPOTHESES)["bleu"])
    # A resample with repeats is the corpus score of the resampled sentences.
    idx = [0, 0, 2, 4, 5, 5]
    resampled = scorer.corpus_score([HYPOTHESES[i] for i in idx], [[REFERENCES[i] for i in idx]])
    assert from_examples(metric, rows.iloc[idx]) == pytest.approx(resampled.score, rel=1e-12)


def _with_metric(task, metric):
    from dataclasses import replace

    return replace(task, metric=metric, metrics=(metric,))


def test_qa_exact_match_and_token_f1_are_means_of_the_examples():
    task = get_task("triviaqa")
    refs = [["Paris"], ["the Beatles", "Beatles"], ["42"], ["blue whale"]]
    preds = ["paris", "The Beatles!", "forty two", "whale"]
    reported = task.score(refs, preds)
    rows = frame(generation_examples(task, refs, preds))
    assert rows["score"].tolist() == [1.0, 1.0, 0.0, 0.0]
    assert from_examples("exact_match", rows) == pytest.approx(reported["exact_match"])
    f1_rows = frame(generation_examples(_with_metric(task, "f1"), refs, preds))
    assert f1_rows["score"].tolist() == pytest.approx([1.0, 1.0, 0.0, 2 / 3])
    assert from_examples("f1", f1_rows) == pytest.approx(reported["f1"], rel=1e-12)


def test_arithmetic_answer_accuracy_is_a_mean_of_the_examples():
    task = get_task("svamp")
    refs = [[repr(3.0)], [repr(10.0)], [repr(0.5)]]
    preds = ["1 + 2", "( 5.0 * 3.0 )", "1 / 2"]
    rows = frame(generation_examples(task, refs, preds))
    assert rows["score"].tolist() == [1.0, 0.0, 1.0]
    assert from_examples("answer_accuracy", rows) == pytest.approx(2 / 3)


def test_label_metrics_on_a_resample_match_the_library_on_the_same_rows():
    rng = np.random.default_rng(11)
    gold = rng.normal(size=80)
    pred = gold + rng.normal(0, 0.5, 80)
    rows = frame(logit_examples(gold.tolist(), pred.tolist(), regression=True))
    idx = rng.integers(0, 80, 80)
    expected = pearsonr(gold[idx], pred[idx]).statistic
    assert from_examples("pearson", rows.iloc[idx]) == pytest.approx(expected, rel=1e-12)


def test_a_metric_the_rows_cannot_give_is_refused():
    rows = frame(generation_examples(get_task("opus100"), [[r] for r in REFERENCES], HYPOTHESES))
    with pytest.raises(ValueError, match="cannot be computed"):
        from_examples("mcc", rows)
    with pytest.raises(ValueError, match="statistics"):
        from_examples("bleu", frame(logit_examples([1, 0], [1, 1], regression=False)))
    assert math.isnan(rows["target"].iloc[0])
