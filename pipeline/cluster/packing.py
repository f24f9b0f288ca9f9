"""Which fine-tunes share one SLURM allocation: the rule-level ``group`` of a fine-tune
(rules/common.smk, finetune_pack), from its requested walltime."""

from __future__ import annotations

from typing import Any

from pipeline.cluster.plan import Plan
from pipeline.cluster.walltime import requested_minutes


def packable(plan: Plan, rule: str, wildcards: Any) -> bool:
    """Whether a fine-tune is short enough to share an allocation with ``pack_size - 1``
    others: a full pack still fits ``max_runtime`` on its third attempt. A run that keeps its
    model (rule finetune_keep_model) is never packed: in a pack with the runs that read it
    (ptq) it would join them into one group component, and a pack of such components could
    outgrow that budget (rules/finetune.smk)."""
    if rule == "finetune_keep_model":
        return False
    budget = plan.max_runtime / plan.pack_size
    return requested_minutes(plan, rule, wildcards, 3) <= budget


PACK_GROUP = "finetune-pack"


def pack_group(plan: Plan, rule: str, wildcards: Any) -> str | None:
    """The rule-level ``group`` of a fine-tune: the one pack group for short runs (Snakemake
    packs ``pack_size`` of them per allocation: group-components in the profile), none for
    long ones or for models the throughput table neither lists nor covers by its ``default``
    row."""
    if wildcards["model"] not in plan.models and "default" not in plan.models:
        return None
    return PACK_GROUP if packable(plan, rule, dict(wildcards.items())) else None
