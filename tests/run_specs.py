"""The run specs of the fine-tunes a dry run (``snakemake -n -p``) would start."""

from __future__ import annotations

import json
import shlex
from typing import Any


def finetune_specs(output: str) -> list[dict[str, Any]]:
    """The JSON run spec (pipeline/finetune/spec.py) of every ``python -m pipeline finetune``
    command printed in ``output``, in order."""
    specs = []
    for line in output.splitlines():
        _, found, rest = line.partition("python -m pipeline finetune ")
        if found:
            specs.append(json.loads(shlex.split(rest.partition(" > ")[0])[0]))
    return specs
