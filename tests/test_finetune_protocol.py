"""The protocol names bad values and counts steps the same way for epochs and steps."""

from __future__ import annotations

import pytest

from pipeline.finetune.protocol import Protocol

BASE = {"lr": 1e-3, "batch_size": 32, "max_length": 32, "seed": 0}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({}, "exactly one of 'epochs' and 'steps'"),
        ({"epochs": 2, "steps": 10}, "exactly one of 'epochs' and 'steps'"),
        ({"epochs": 0}, r"protocol.epochs: 0 must be a positive integer"),
        ({"epochs": 1, "precision": "fp8"}, r"protocol.precision: 'fp8' is not one of \['bf16'"),
        ({"epochs": 1, "schedule": "cyclic"}, r"protocol.schedule: 'cyclic' is not one of"),
        ({"epochs": 1, "optimizer": "sgd"}, r"protocol.optimizer: 'sgd' is not one of \['adamw'\]"),
        ({"epochs": 1, "warmup_ratio": 2.0}, r"protocol.warmup_ratio: 2.0 must be in \[0, 1\]"),
    ],
)
def test_bad_values_name_the_key_and_the_allowed_values(extra, message):
    with pytest.raises(ValueError, match=message):
        Protocol(**BASE, **extra)


def test_unknown_keys_are_named():
    with pytest.raises(ValueError, match=r"unknown keys \['epoch'\]; allowed: .*'epochs'"):
        Protocol.from_dict({**BASE, "epoch": 3})


def test_total_and_warmup_steps():
    by_epochs = Protocol(**BASE, epochs=3, warmup_ratio=0.06)
    assert by_epochs.steps_per_epoch(100) == 4  # the last batch is partial
    assert by_epochs.total_steps(100) == 12
    assert by_epochs.warmup_steps(100) == 1  # ceil(0.72)
    by_steps = Protocol(**BASE, steps=3000, warmup_ratio=0.05)  # the CSQA recipe
    assert by_steps.total_steps(100) == 3000
    assert by_steps.warmup_steps(100) == 150
