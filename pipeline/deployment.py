"""Which of Snakemake's software deployment methods the workflow supports.

Every rule names its conda environment (envs/junkdna.yaml); none names a container image
or an environment module, so ``--sdm apptainer`` (or ``env-modules``) would run every job
on the host as if it had not been given. It is refused before any job instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

SUPPORTED = ("conda",)  # besides none: the environment Snakemake runs in


class DeploymentError(ValueError):
    """A software deployment method the workflow cannot honour."""


def check_deployment(methods: Iterable[Any]) -> None:
    """Refuse a deployment method (Snakemake's ``DeploymentMethod`` members) not supported."""
    for method in methods:
        name = getattr(method, "name", str(method)).lower()
        if name not in SUPPORTED:
            raise DeploymentError(
                f"--software-deployment-method {name}: no rule names a container image or "
                "an environment module; allowed: conda (every rule's envs/junkdna.yaml), "
                "or none (the environment snakemake runs in)"
            )
