"""Planning fast without changing a job: the profile's job-independent resource expressions are
evaluated once, with the raw expression still handed to submitted jobs; the rest stay per job."""

from __future__ import annotations

import inspect
import tempfile

from snakemake.common import get_function_params
from snakemake.iocontainers import InputFiles, Wildcards
from snakemake.resources import Resources
from snakemake.settings.types import ResourceSettings

from pipeline.cluster import dag_speed


def parsed(*expressions: str, defaults: str | None = None) -> Resources:
    """Resources as Snakemake parses a profile's ``default-resources`` (with its own
    ``tmpdir``: defaults="bare") or one rule's ``set-resources``."""
    return Resources.parse(list(expressions), allow_expressions=True, defaults=defaults)


def evaluated(resources: Resources, name: str, **wildcards: str):
    resource = resources[name]
    if not resource.is_evaluable():
        return resource.value
    return resource.evaluate(
        Wildcards(fromdict=wildcards),
        input=InputFiles(),
        attempt=2,
        threads=1,
        rulename="prune",
        async_run=None,
    ).value


def test_job_independent_expressions_are_frozen_and_keep_their_raw_text():
    defaults = parsed(
        "slurm_account=CHANGE_ME_account",  # a bare name: Snakemake takes it as a string
        "slurm_extra='--signal=TERM@300'",
        "runtime=30 * attempt",
        "mem_mb=8000",
        defaults="bare",
    )
    per_rule = parsed("gpu=1 if wildcards.method == 'wanda' else 0", "slurm_partition='gpu'")
    settings = ResourceSettings(default_resources=defaults, overwrite_resources={"prune": per_rule})
    defaults = settings._parsed_default_resources
    per_rule = settings._parsed_overwrite_resources["prune"]
    before = (defaults.args, per_rule.args)
    values = {name: evaluated(defaults, name) for name in defaults}

    assert dag_speed.freeze_constant_resources(settings) == 4  # account, extra, tmpdir, partition

    for name in ("slurm_account", "slurm_extra", "tmpdir"):
        assert not defaults[name].is_evaluable(), name
    assert defaults["slurm_account"].value == "CHANGE_ME_account"
    assert defaults["slurm_extra"].value == "--signal=TERM@300"
    assert defaults["tmpdir"].value == tempfile.gettempdir()
    assert not per_rule["slurm_partition"].is_evaluable()
    # What names the job stays an expression, evaluated per job as before.
    assert defaults["runtime"].is_evaluable() and evaluated(defaults, "runtime") == 60
    assert per_rule["gpu"].is_evaluable()
    assert evaluated(per_rule, "gpu", method="wanda") == 1
    assert evaluated(per_rule, "gpu", method="magnitude") == 0
    # Same values, and the same text handed to the jobs it submits (a node's own tmpdir).
    assert {name: evaluated(defaults, name) for name in defaults} == values
    assert (defaults.args, per_rule.args) == before
    assert "tmpdir=system_tmpdir" in defaults.args


def test_what_a_job_names_is_never_frozen():
    for expression in ("attempt * 60", "input.size_mb", "threads * 1000", "len(rulename)",
                       "[w for w in wildcards]", "max(2 * input.size_mb, 1000)"):  # fmt: skip
        assert not dag_speed.is_job_independent(expression), expression
    for expression in ("my_account", "'--signal=TERM@300'", "system_tmpdir", "8000 * 2",
                       "n1-standard-4", "$HOME/tmp"):  # fmt: skip
        assert dag_speed.is_job_independent(expression), expression


def test_a_remembered_signature_is_the_functions_own():
    def runtime(wildcards, attempt):
        return attempt

    dag_speed.remember_signature(runtime)
    assert get_function_params(runtime) == inspect.signature(runtime).parameters
    assert list(get_function_params(runtime)) == ["wildcards", "attempt"]
