"""What a validated config resolves to before any job runs, shared by the study's
expansion (pipeline/study.py) and the config checks (pipeline/config.py): the error both
raise, and the protocol a setting's cells run under. Neither of them imports the other for
these, so there is no import cycle between them."""

from __future__ import annotations

from typing import Any

from pipeline.finetune.protocol import Protocol


class ConfigError(ValueError):
    pass


def _override(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``override``'s fields; an override that gives the run's length as
    ``epochs`` (or ``steps``) replaces the base's length."""
    merged = {**base, **override}
    for length, other in (("epochs", "steps"), ("steps", "epochs")):
        if length in override and other not in override:
            merged.pop(other, None)
    return merged


def protocol_for(
    config: dict[str, Any], setting: str, task: str | None = None, budget: float = 1.0
) -> dict[str, Any]:
    """The protocol of a setting's cells (of ``task``'s, when given): the study's protocol,
    then the setting's overrides, then the task's (``task_protocols``, e.g. the SMC-Bench
    recipe of WinoGrande/CSQA within setting 4). The one place a run's protocol is resolved:
    one protocol per cell, shared by every mode and compression of that cell, and hashed into
    every result row. A length override replaces the length it inherits (e.g. ``steps``
    instead of the study's ``epochs``). ``budget`` multiplies the run's length (a setting's
    ``budgets`` arm: 4x the optimizer steps, or the epochs), rounded to a whole number; the
    schedule and warm-up, being fractions of the run, stretch with it."""
    block = config["settings"][setting]
    merged = _override(Protocol.with_defaults(config["protocol"]), block.get("protocol", {}))
    if task is not None:
        merged = _override(merged, block.get("task_protocols", {}).get(task, {}))
    if budget != 1.0:
        length = "steps" if merged.get("steps") else "epochs"
        merged[length] = max(1, round(merged[length] * budget))
    return merged
