"""The running workflow's plan: one typed, frozen view of the merged, validated config
(:class:`pipeline.cluster.plan.Plan`), built once by the Snakefile from the ``config`` object
Snakemake hands it, so that every resource a job asks for (walltime, host memory, its pack)
follows ``--config``/``--configfile`` overrides.

The SLURM profile's resource expressions call :func:`runtime` and :func:`mem_mb`; they are
evaluated per job after the Snakefile ran, so they read the plan it installed and never
re-read a config file.
"""

from __future__ import annotations

from typing import Any

from pipeline.cluster.plan import Plan, load_plan
from pipeline.cluster.walltime import requested_mem_mb, requested_minutes

_installed: list[Plan] = []


def install(config: dict[str, Any]) -> Plan:
    """Build the plan of ``config`` (after validation) and make it the running one."""
    plan = load_plan(config)
    _installed[:] = [plan]
    return plan


def current() -> Plan:
    """The plan the Snakefile installed; an error outside a workflow run."""
    if not _installed:
        raise RuntimeError(
            "no study plan: pipeline.cluster.resources.install(config) runs in the Snakefile"
        )
    return _installed[0]


def runtime(rule: str, wildcards: Any, attempt: int) -> int:
    """The profile's ``runtime`` of a job (sbatch --time, minutes), from the cost model."""
    return requested_minutes(current(), rule, dict(wildcards.items()), attempt)


def mem_mb(rule: str, wildcards: Any, attempt: int) -> int:
    """The profile's ``mem_mb`` of a job (sbatch --mem): its model's host memory."""
    return requested_mem_mb(current(), rule, dict(wildcards.items()), attempt)
