"""A corrupt study file of every kind is named, with what is wrong, in one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pipeline import load
from pipeline.compress.masks import load_masks

ROOT = Path(__file__).resolve().parents[1]

RECORD = {
    "study": "s",
    "setting": "data_fraction",
    "model": "m",
    "task": "syn_sentiment",
    "difficulty": "fraction-1",
    "difficulty_axis": "fraction",
    "difficulty_level": "1",
    "compression": "dense",
    "method": "dense",
    "level": "0",
    "mode": "dense",
    "seed": 0,
    "protocol_hash": "abc",
    "metric": "accuracy",
    "value": 0.75,
    "metrics": {"accuracy": 0.75, "mcc": 0.5},
    "loss": 0.6,
}


def _truncated_mask(path: Path) -> None:
    with path.open("wb") as fh:
        np.savez(fh, names=np.asarray(["a"]), bits_0=np.packbits(np.ones(64, bool)))
    path.write_bytes(path.read_bytes()[:40])


def _record(**change) -> str:
    return json.dumps({**RECORD, **change})


def _model_without_config(path: Path) -> None:
    path.mkdir()
    (path / "model.safetensors").write_bytes(b"\0" * 16)


# (case, file name, how to write it, loader, what the message must say)
CASES = [
    ("truncated mask", "mask.npz", _truncated_mask, load_masks, "truncated or corrupt"),
    ("missing mask", "mask.npz", None, load_masks, "file is missing"),
    ("corrupt record JSON", "metrics.json", '{"study": "s", oops}', load.record, "not valid JSON"),
    ("record is a JSON list", "metrics.json", "[1, 2]", load.record, "holds a JSON list"),
    ("record value of a wrong type", "metrics.json", _record(value="high"), load.record, "'value'"),
    ("record without its protocol hash", "metrics.json", _record(protocol_hash=None),
     load.record, "'protocol_hash' is missing"),
    ("accuracy 7.5", "metrics.json", _record(value=7.5), load.record, "accuracy 7.5 is outside"),
    ("mcc 2 in metrics", "metrics.json", _record(metrics={"accuracy": 0.7, "mcc": 2.0}),
     load.record, "metrics.mcc 2.0 is outside"),
    ("LMC point without its alpha", "lmc.json", json.dumps({"rows": [{"model": "m"}]}),
     load.record, "rows[0].'task' is missing"),
    ("model folder without config.json", "model", _model_without_config, load.model_folder,
     "config.json is missing"),
    ("config.json without model_type", "model", lambda p: (p.mkdir(), (p / "config.json")
     .write_text("{}")), load.model_folder, "no 'model_type'"),
    ("corrupt Parquet table", "results.parquet", "PAR1 not really", load.parquet,
     "not a readable Parquet table"),
    ("corrupt JSON lines", "corpus.jsonl", '{"text": "a"}\n{"text": \n', load.read_jsonl,
     "line 2 is not valid JSON"),
    ("missing JSON", "world.json", None, load.read_json, "file is missing"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "name", "write", "loader", "says"), CASES,
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_a_bad_file_is_named_in_one_line(tmp_path, case, name, write, loader, says):
    path = tmp_path / name
    if isinstance(write, str):
        path.write_text(write)
    elif write is not None:
        write(path)
    with pytest.raises(load.LoadError) as err:
        loader(path)
    message = str(err.value)
    assert message.startswith(str(path)), message
    assert says in message and "\n" not in message, message


def test_a_good_record_round_trips(tmp_path):
    path = tmp_path / "metrics.json"
    path.write_text(_record())
    assert load.record(path)["value"] == 0.75


@pytest.mark.parametrize(
    ("verb", "name", "content"),
    [
        ("collect", "metrics.json", "[1, 2]"),
        ("normalize", "results.parquet", "PAR1 torn"),
    ],
)
def test_a_verb_prints_the_error_without_a_traceback(tmp_path, verb, name, content):
    bad = tmp_path / name
    bad.write_text(content)
    args = [str(bad)] if verb == "collect" else ["--table", str(bad)]
    run = subprocess.run(
        [sys.executable, "-m", "pipeline", verb, *args, "--out", str(tmp_path / "out.parquet")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert run.returncode == 2
    assert run.stderr.startswith(f"error: {bad}: ") and "Traceback" not in run.stderr
    assert not (tmp_path / "out.parquet").exists()
