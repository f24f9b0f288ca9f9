"""Metric code against the reference implementations: BLEU against the sacrebleu command
line on the same files; MCC, Pearson, Spearman, accuracy and F1 against scipy/sklearn
called directly on fixtures (the task objects' own scoring path is what is checked)."""

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import pearsonr, spearmanr
from sklearn.metrics import accuracy_score, f1_score, matthews_corrcoef

from pipeline.tasks.registry import get_task

HYPOTHESES = [
    "the cat sat on a mat .",
    "Hello there, world!",
    "Él no habla inglés muy bien",
    "numbers like 3.5 and 1,000 stay",
    "",
]
REFERENCES = [
    "the cat sat on the mat .",
    "Hello, world!",
    "Él no habla bien el inglés",
    "numbers like 3.5 and 1,000 stay",
    "an empty hypothesis",
]


def sacrebleu_cli(folder: Path, metric: str) -> dict:
    """sacreBLEU's own command line on REFERENCES and HYPOTHESES: its JSON (score, signature)."""
    ref, hyp = folder / "ref.txt", folder / "hyp.txt"
    ref.write_text("\n".join(REFERENCES) + "\n", encoding="utf-8")
    hyp.write_text("\n".join(HYPOTHESES) + "\n", encoding="utf-8")
    command = ["sacrebleu", str(ref), "-i", str(hyp), "-m", metric, "-w", "6", "-f", "json"]
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


def test_bleu_equals_the_sacrebleu_cli(tmp_path):
    cli = sacrebleu_cli(tmp_path, "bleu")
    task = get_task("opus100")
    ours = task.score([[r] for r in REFERENCES], HYPOTHESES)["bleu"]
    assert 0 < ours < 100
    assert ours == pytest.approx(cli["score"], abs=1e-5)
    assert task.metric_signature == cli["signature"]


def test_chrf_beside_bleu_equals_the_sacrebleu_cli(tmp_path):
    cli = sacrebleu_cli(tmp_path, "chrf")
    ours = get_task("syn_translation").score([[r] for r in REFERENCES], HYPOTHESES)["chrf"]
    assert 0 < ours < 100
    assert ours == pytest.approx(cli["score"], abs=1e-5)


@pytest.fixture(scope="module")
def fixtures():
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 2, 200)
    preds = np.where(rng.random(200) < 0.7, labels, 1 - labels)  # ~70% agreement
    gold = rng.uniform(0, 5, 150)  # STS-B's 0-5 similarity
    scores = gold + rng.normal(0, 1.2, 150)
    return labels.tolist(), preds.tolist(), gold.tolist(), scores.tolist()


def test_cola_mcc_equals_sklearn(fixtures):
    labels, preds, _, _ = fixtures
    ours = get_task("cola").score(labels, preds)
    assert ours["mcc"] == pytest.approx(matthews_corrcoef(labels, preds), abs=1e-12)
    assert 0.2 < ours["mcc"] < 0.6  # a real correlation, not a degenerate 0 or 1


def test_qqp_accuracy_and_f1_equal_sklearn(fixtures):
    labels, preds, _, _ = fixtures
    ours = get_task("qqp").score(labels, preds)
    assert ours["accuracy"] == pytest.approx(accuracy_score(labels, preds), abs=1e-12)
    assert ours["f1"] == pytest.approx(f1_score(labels, preds), abs=1e-12)


def test_stsb_pearson_and_spearman_equal_scipy(fixtures):
    _, _, gold, scores = fixtures
    ours = get_task("stsb").score(gold, scores)
    assert ours["pearson"] == pytest.approx(pearsonr(gold, scores)[0], abs=1e-12)
    assert ours["spearman"] == pytest.approx(spearmanr(gold, scores)[0], abs=1e-12)
    assert ours["pearson"] != pytest.approx(ours["spearman"], abs=1e-6)
    assert ours["pearson"] == pytest.approx(np.corrcoef(gold, scores)[0, 1], abs=1e-12)
