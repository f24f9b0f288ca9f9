"""``normalize`` divides by the dense run of the same cell, and refuses runs fine-tuned under
a different protocol, naming both protocols and the fields that differ."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.analysis.tables import flatten, normalize
from pipeline.finetune.protocol import Protocol, protocol_diff
from pipeline.records import run_record
from pipeline.tasks.synthetic import SYN_SENTIMENT

BASE = Protocol(lr=5e-4, epochs=3, batch_size=32, max_length=32, seed=0)


def _row(compression: str, mode: str, value: float, protocol: Protocol) -> dict:
    record = run_record(
        study="t",
        setting="data_fraction",
        model="tiny",
        task=SYN_SENTIMENT,
        difficulty="fraction-1",
        compression=compression,
        mode=mode,
        seed=0,
        protocol=protocol,
        evaluation={"metrics": {"accuracy": value}, "loss": 0.5, "n_eval": 10},
        sparsity={"achieved_sparsity": 0.0 if mode == "dense" else 0.5, "denominator_numel": 100},
        training={"steps": 9},
        wall_time_s=1.0,
    )
    return flatten(record)


def test_normalized_score_is_compressed_over_dense():
    table = pd.DataFrame(
        [
            _row("dense", "dense", 0.8, BASE),
            _row("magnitude-0.5", "sparse", 0.6, BASE),
            _row("magnitude-0.5", "dense_freeze", 0.7, BASE),
        ]
    )
    out = normalize(table).set_index("mode")
    assert out.loc["sparse", "normalized"] == pytest.approx(0.6 / 0.8)
    assert out.loc["dense_freeze", "normalized"] == pytest.approx(0.7 / 0.8)
    assert out.loc["dense", "normalized"] == 1.0


def test_rows_with_different_protocol_hashes_are_refused_naming_the_fields():
    other = Protocol(lr=1e-3, epochs=3, batch_size=16, max_length=32, seed=0)
    assert other.hash != BASE.hash
    table = pd.DataFrame(
        [_row("dense", "dense", 0.8, BASE), _row("magnitude-0.5", "sparse", 0.6, other)]
    )
    with pytest.raises(ValueError, match="protocol mismatch") as err:
        normalize(table)
    message = str(err.value)
    assert BASE.hash in message and other.hash in message
    assert "'lr': (0.001, 0.0005)" in message
    assert "'batch_size': (16, 32)" in message
    assert "epochs" not in message.split("differing fields")[1]  # only what differs


def test_protocol_hash_changes_with_every_field_and_only_with_them():
    assert Protocol(**BASE.to_dict()).hash == BASE.hash
    for key, value in [
        ("lr", 1e-3),
        ("weight_decay", 0.01),
        ("schedule", "cosine"),
        ("warmup_ratio", 0.1),
        ("precision", "bf16"),
        ("max_grad_norm", 1.0),
        ("eval_batch_size", 64),
        ("seed", 1),
    ]:
        changed = Protocol(**{**BASE.to_dict(), key: value})
        assert changed.hash != BASE.hash, key
        assert list(protocol_diff(changed.to_dict(), BASE.to_dict())) == [key]
    by_steps = Protocol(**{**BASE.to_dict(), "epochs": None, "steps": 100})
    assert protocol_diff(by_steps.to_dict(), BASE.to_dict()) == {
        "epochs": (None, 3),
        "steps": (100, None),
    }
