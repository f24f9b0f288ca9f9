"""Kept results serve only the retry of the pack that kept them: on a real Snakemake run of
the tiny study no ``done`` folder outlives the workflow, a deleted output trains again, and
a change to the code changes the fingerprint a kept result must match."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline import paths
from pipeline.finetune import retain
from tests.conftest import snakemake, tiny_study

REPO = Path(__file__).resolve().parents[1]
CELL = {
    "model": "m",
    "task": "syn_sentiment",
    "difficulty": "fraction-1",
    "compression": "dense",
    "mode": "dense",
    "budget": "",  # the protocol's own training budget
    "seed": 0,
}


def test_code_version_follows_every_source_file(tmp_path):
    src = tmp_path / "pipeline"
    shutil.copytree(REPO / "pipeline" / "finetune", src / "finetune")
    version = retain.code_version.__wrapped__  # uncached: the test changes the sources
    before = version(src)
    assert before == version(src) and len(before) == 16
    trainer = src / "finetune" / "trainer.py"
    trainer.write_text(trainer.read_text() + "\n# a fix\n")
    assert version(src) != before


def test_fingerprint_holds_the_code_version(monkeypatch, tmp_path):
    before = retain.fingerprint("run-fingerprint")
    assert retain.fingerprint("another-run") != before
    monkeypatch.setattr(retain, "code_version", lambda root=None: "another-version")
    assert retain.fingerprint("run-fingerprint") != before


@pytest.mark.workflow
def test_no_done_folder_after_success_and_a_deleted_output_trains_again(tmp_path):
    config = tiny_study(tmp_path / "results", [0.5], ["dense"], [0], [1.0])
    results = Path(config["results_dir"])
    metrics = results / paths.METRICS.format(**CELL)
    log = results / "logs" / f"{paths.RUN.format(**CELL)}.log"
    first = snakemake(tmp_path, config, str(metrics))
    assert first.returncode == 0, first.stderr[-3000:]
    assert metrics.is_file()
    assert not list(results.glob("runs/**/done")), "a done folder outlived the workflow"
    value = metrics.read_text()
    metrics.unlink()
    again = snakemake(tmp_path, config, str(metrics))
    assert again.returncode == 0, again.stderr[-3000:]
    text = log.read_text()
    assert "retain: restored" not in text, text[-2000:]
    assert metrics.is_file() and not list(results.glob("runs/**/done"))
    # Trained again on the CPU in fp32: the same record's score, bit for bit.
    import json

    assert json.loads(metrics.read_text())["value"] == json.loads(value)["value"]
