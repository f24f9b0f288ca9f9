"""No placeholder reaches a submission: before a real run starts any job, every
``CHANGE_ME_*`` resource value of the profile and every ``UNPINNED`` revision of the study's
config is listed with its file and key, and the run stops. Dry runs never get here (the
Snakefile calls :func:`refuse` from ``onstart``, which Snakemake skips for them).

Hand-written: the SLURM plugin validates neither (it submits ``--account CHANGE_ME_account``
and lets sbatch fail job by job, and staging refuses ``UNPINNED`` only when its job runs).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pipeline.staging.revisions import UNPINNED

PLACEHOLDER = "CHANGE_ME_"
PIN_COMMAND = (
    'python -c "import huggingface_hub as h; '
    "print(h.HfApi().repo_info('{hub_id}', repo_type='{kind}').sha)\""
)


def profile_file(argv: list[str]) -> str:
    """The profile's config file named by ``--profile`` (for messages), else a hint."""
    from snakemake.cli import get_profile_dir

    if "--profile" in argv and argv.index("--profile") + 1 < len(argv):
        found = get_profile_dir(argv[argv.index("--profile") + 1])
        if found is not None:
            return str(found[1])
    return "the profile or command line"


def resource_placeholders(
    source: str, default: Mapping[str, Any], per_rule: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    """``CHANGE_ME_*`` values among the default resources and each rule's resources."""
    out = [
        f"{source}: default-resources.{key} is {value!r}"
        for key, value in default.items()
        if PLACEHOLDER in str(value)
    ]
    for rule, resources in per_rule.items():
        out += [
            f"{source}: set-resources.{rule}.{key} is {value!r}"
            for key, value in resources.items()
            if PLACEHOLDER in str(value)
        ]
    return out


def unpinned(config: Mapping[str, Any], configfiles: Iterable[str]) -> list[str]:
    """Hub repositories of the study still ``UNPINNED``, with the command that pins each
    (none when the study reads a ``hub_mirror`` folder instead of the hub)."""
    if config.get("hub_mirror"):
        return []
    where = ", ".join(map(str, configfiles)) or "the config"
    found = [
        (f"models.{name}.revision", spec["hub_id"], "model")
        for name, spec in config.get("models", {}).items()
        if spec.get("source") == "hub" and spec.get("revision") == UNPINNED
    ]
    found += [
        (f"datasets.{hub_id}.revision", hub_id, "dataset")
        for hub_id, spec in config.get("datasets", {}).items()
        if (spec or {}).get("revision") == UNPINNED
    ]
    return [
        f"{where}: {key} is {UNPINNED!r}; pin it to the commit this prints (on a machine with "
        f"internet): {PIN_COMMAND.format(hub_id=hub_id, kind=kind)}"
        for key, hub_id, kind in found
    ]


def _raw(resources: Any) -> dict[str, Any]:
    """name -> the expression a Snakemake ``Resources`` object was given."""
    if resources is None:
        return {}
    return {name: getattr(resources[name], "raw", None) for name in resources}


def refuse(workflow: Any, config: Mapping[str, Any]) -> None:
    """Stop a real run (raise) listing every placeholder, before any job starts."""
    settings = workflow.resource_settings
    per_rule = {rule: _raw(res) for rule, res in (settings.overwrite_resources or {}).items()}
    problems = resource_placeholders(
        profile_file(sys.argv), _raw(settings.default_resources), per_rule
    )
    problems += unpinned(config, [Path(f) for f in workflow.configfiles])
    if problems:
        raise ValueError(
            "placeholders must be replaced before a real run (nothing was submitted):\n  "
            + "\n  ".join(problems)
        )
