"""What keeps planning the paper's ~5,700 jobs fast (``snakemake --profile slurm -n``):
settings of the Snakemake process the Snakefile makes before its first rule, none of which
changes a job, its resources or its command.

Profile resources that cannot differ between jobs are evaluated once per run. Snakemake 9
turns every string value of a profile's ``default-resources`` and ``set-resources``
(``slurm_account: "my_account"``, ``slurm_extra: "'--signal=...'"``, its own
``tmpdir: system_tmpdir``) into a Python expression that it compiles and evaluates for each
job, behind two signature inspections and a fresh namespace: for the paper that was about a
sixth of the dry run. An expression that names nothing of the job (``wildcards``, ``input``,
``attempt``, ``threads``, ``rulename``, ``async_run``) has one value per run;
:func:`freeze_constant_resources` evaluates it once, through Snakemake's own evaluator, and
leaves the rest (``"120 * attempt"``) as they are. Snakemake has no setting for this, so it is
written by hand against the resource settings of snakemake 9.27
(``ResourceSettings._parsed_default_resources``/``_parsed_overwrite_resources``: the parsed
profile values each rule copies when it is defined). Each frozen resource keeps its raw
expression, which is what Snakemake passes to the jobs it submits, so a SLURM job still
evaluates ``system_tmpdir`` on its own node.

The cyclic garbage collector runs less often (:func:`collect_garbage_less_often`): building the
DAG allocates millions of long-lived objects (jobs, their file lists, wildcards), and with
Python's default thresholds the collector re-scanned them ~2,500 times, a fifth of the dry
run's CPU time; at exit, they are left to the operating system.

The signatures Snakemake reads to call a rule's functions (two or three times per function and
job) are recorded once (:func:`remember_signature`).
"""

from __future__ import annotations

import atexit
import gc
import inspect
import os
import types
from collections.abc import Callable
from typing import Any, TypeVar

from snakemake.common import overwrite_function_params
from snakemake.iocontainers import InputFiles, Wildcards
from snakemake.resources import Resource, Resources

# The names a resource expression sees that change from job to job (snakemake.resources,
# Resource.cli_evaluator); everything else in its namespace is fixed for the run.
F = TypeVar("F", bound=Callable[..., Any])

JOB_NAMES = frozenset({"wildcards", "input", "attempt", "threads", "rulename", "async_run"})


def _names(code: types.CodeType) -> set[str]:
    """Every global or attribute name ``code`` and the code nested in it refer to."""
    names = set(code.co_names) | set(code.co_freevars)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const) | set(const.co_varnames)
    return names


def is_job_independent(expression: str) -> bool:
    """Whether a profile resource expression has the same value for every job."""
    expanded = os.path.expanduser(os.path.expandvars(expression))  # as Snakemake does
    try:
        code = compile(expanded, "<resource>", "eval")
    except SyntaxError:
        return True  # Snakemake then takes the string as it is: a constant
    return not (_names(code) & JOB_NAMES)


def _frozen(resources: Resources) -> int:
    """Replace ``resources``' job-independent expressions by their values; how many."""
    count = 0
    for name, resource in list(resources.items()):
        if not (resource.is_evaluable() and isinstance(resource.raw, str)):
            continue  # a number, or a function given in a rule: nothing to freeze
        if not is_job_independent(resource.raw):
            continue
        value = resource.evaluate(
            Wildcards(), input=InputFiles(), attempt=1, threads=1, rulename="", async_run=None
        )
        resources[name] = Resource(name, value.value, raw=resource.raw)
        count += 1
    return count


def freeze_constant_resources(resource_settings: Any) -> int:
    """Evaluate the profile's job-independent resource expressions once (see the module
    docstring); call it before the first rule is defined. Returns how many were frozen."""
    count = _frozen(resource_settings._parsed_default_resources)
    for resources in resource_settings._parsed_overwrite_resources.values():
        count += _frozen(resources)
    return count


# Allocations between young-generation collections (Python's default: 700), and collections of
# each generation before the next older one is collected (defaults 10, 10). Garbage cycles are
# rare in Snakemake's planning; memory they hold is still freed, later.
GC_THRESHOLDS = (50_000, 20, 10)


def collect_garbage_less_often() -> None:
    """Raise the cyclic garbage collector's thresholds for this Snakemake process, and leave
    the objects alive at exit out of the collections Python's finalization runs: they were
    another ~2 s of CPU (a sixth of the paper's dry run) spent freeing memory that the exiting
    process returns anyway. Python never promises ``__del__`` for objects alive at exit."""
    gc.set_threshold(*GC_THRESHOLDS)
    atexit.register(gc.freeze)  # runs after the handlers registered later (Snakemake's own)


def remember_signature(function: F) -> F:
    """Record ``function``'s parameters once, through Snakemake's own
    ``overwrite_function_params`` (as its ``subpath`` helper does): Snakemake reads the
    signature of each input, params, group and resource function two or three times per job
    to pick the arguments it passes, and ``inspect.signature`` was ~7% of the paper's dry run.
    The recorded parameters are the function's own, so Snakemake calls it as before."""
    overwrite_function_params(function, inspect.signature(function).parameters)
    return function


def remember_signatures(*functions: Callable[..., Any]) -> None:
    """:func:`remember_signature` of each function."""
    for function in functions:
        remember_signature(function)


def remember_resource_signature() -> None:
    """The same for ``Resource.evaluate``, through which Snakemake evaluates every resource
    of every job (its bound method's signature: ``*args, **kwargs``, inspected twice per
    resource). Written by hand: Snakemake 9.27 records it nowhere."""
    remember_signature(Resource.evaluate)
