"""What a validated config resolves to before any job runs, shared by the study's
expansion (pipeline/study.py) and the config checks (pipeline/config.py): the error both
raise, and the protocol a setting's cells run under. Neither of them imports the other for
these, so there is no import cycle between them."""

from __future__ import annotations

from typing import Any

from pipeline.finetune.protocol import Protocol


class ConfigError(ValueError):
    pass


def protocol_for(config: dict[str, Any], setting: str) -> dict[str, Any]:
    """The study's protocol with the setting's overrides: one protocol per cell, shared by
    every mode and compression of that cell. A setting that gives the run's length as
    ``epochs`` (or ``steps``) replaces the study's length, e.g. to hold epochs fixed across
    data fractions instead of the default fixed step budget."""
    override = config["settings"][setting].get("protocol", {})
    merged = {**Protocol.with_defaults(config["protocol"]), **override}
    for length, other in (("epochs", "steps"), ("steps", "epochs")):
        if length in override and other not in override:
            merged.pop(other, None)
    return merged
