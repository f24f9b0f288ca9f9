"""What a study asks of a cluster, read from Snakemake's own dry run.

``snakemake --profile slurm -n TARGET`` prints every job with its wildcards and the resources
the profile gives it (the same values the SLURM plugin turns into sbatch flags). Parsing that
text, rather than re-deriving jobs from the config, counts exactly the jobs that still have to
run, with the profile's own resource expressions. Snakemake's Python API does not expose job
resources, so the dry-run text is the interface (hand-written parser: no library reads it).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

JOB_RE = re.compile(r"^(?P<indent>\s*)(?:local)?(?:rule|checkpoint) (?P<rule>\w+):$")
GROUP_RE = re.compile(r"Group job (?P<group>\S+) \(jobs in lexicogr\. order\):$")
FIELD_RE = re.compile(r"^\s+(?P<key>wildcards|resources): (?P<value>.*)$")
STATS_RE = re.compile(r"^(?P<rule>\w+)\s+(?P<count>\d+)$")
GRES_GPU_RE = re.compile(r"^gpu(?::[A-Za-z_][\w.]*)?(?::(?P<count>\d+))?$")


@dataclass(frozen=True)
class PlannedJob:
    """One job of a dry run. ``pack`` numbers the group job (SLURM allocation) it is in."""

    rule: str
    wildcards: dict[str, str]
    resources: dict[str, Any]
    shell: bool
    group: str | None = None
    pack: int | None = None

    @property
    def gpus(self) -> int:
        """From ``gpu`` (sbatch --gpus) or, on --gres clusters, ``gres`` ("gpu[:type][:N]")."""
        if self.resources.get("gpu"):
            return int(self.resources["gpu"])
        gres = GRES_GPU_RE.match(str(self.resources.get("gres", "")))
        return 0 if gres is None else int(gres["count"] or 1)

    @property
    def runtime_h(self) -> float:
        return int(self.resources.get("runtime", 0)) / 60

    @property
    def gpu_hours(self) -> float:
        return self.gpus * self.runtime_h


def _pairs(text: str, ints: bool) -> dict[str, Any]:
    """``"a=1, b=x"`` -> ``{"a": 1, "b": "x"}`` (with ``ints``; else all strings)."""
    out: dict[str, Any] = {}
    for item in text.split(", "):
        key, _, value = item.partition("=")
        out[key.strip()] = int(value) if ints and value.isdigit() else value
    return out


def parse_dry_run(text: str) -> list[PlannedJob]:
    """Every job printed by ``snakemake -n`` (grouped jobs included, each with its pack)."""
    jobs: list[PlannedJob] = []
    current: dict[str, Any] | None = None
    group, pack, packs = None, None, 0

    def flush() -> None:
        if current is not None:
            jobs.append(PlannedJob(**current))

    for line in text.splitlines():
        if (m := GROUP_RE.search(line)) is not None:
            flush()
            current = None
            packs += 1
            group, pack = m["group"], packs
        elif (m := JOB_RE.match(line)) is not None:
            flush()
            in_group = bool(m["indent"]) and group is not None
            current = {
                "rule": m["rule"],
                "wildcards": {},
                "resources": {},
                "shell": False,
                "group": group if in_group else None,
                "pack": pack if in_group else None,
            }
            if not in_group:
                group, pack = None, None
        elif current is not None and (m := FIELD_RE.match(line)) is not None:
            current[m["key"]] = _pairs(m["value"], ints=m["key"] == "resources")
        elif current is not None and line.startswith("Shell command: "):
            current["shell"] = line != "Shell command: None"
    flush()
    return jobs


def job_stats(text: str) -> dict[str, int]:
    """Snakemake's own 'Job stats' table (rule -> count) from the same dry run."""
    table = text.split("Job stats:", 1)[1].split("\n\n", 1)[0]
    return {
        m["rule"]: int(m["count"])
        for line in table.splitlines()
        if (m := STATS_RE.match(line)) and m["rule"] != "total"
    }


def add_dry_run_arguments(p: argparse.ArgumentParser) -> None:
    """The arguments of a verb that reads a profile's dry run: its targets, the profile
    (:func:`run_dry_run`) and the workflow folder (:func:`local_rules`)."""
    p.add_argument("targets", nargs="*", default=["all_figures"], help="snakemake targets")
    p.add_argument("--profile", default="slurm", help="snakemake profile (folder or name)")
    p.add_argument(
        "--workflow",
        type=Path,
        default=Path("."),
        help="workflow folder (Snakefile, rules/): tells local rules apart",
    )


def run_dry_run(profile: str, targets: list[str], extra: list[str]) -> str:
    """Run ``snakemake --profile PROFILE -n TARGETS`` here, offline; return its output."""
    # Targets first: --configfile takes every word after it.
    cmd = [sys.executable, "-m", "snakemake", "--profile", profile, "-n", *targets, *extra]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise ValueError(f"dry run failed ({' '.join(cmd)}):\n{output[-3000:]}")
    return output


@dataclass(frozen=True)
class RuleCost:
    rule: str
    jobs: int
    gpus_per_job: tuple[int, ...]
    hours: float
    gpu_hours: float


def submitted(jobs: list[PlannedJob], local: set[str]) -> list[PlannedJob]:
    """Jobs sent to SLURM: those that run a command and are not local rules."""
    return [j for j in jobs if j.shell and j.rule not in local]


def cost_by_rule(jobs: list[PlannedJob], local: set[str]) -> list[RuleCost]:
    """Requested walltime and GPU-hours per submitted rule, largest GPU-hours first."""
    by_rule: dict[str, list[PlannedJob]] = defaultdict(list)
    for job in submitted(jobs, local):
        by_rule[job.rule].append(job)
    rows = [
        RuleCost(
            rule,
            len(js),
            tuple(sorted({j.gpus for j in js})),
            sum(j.runtime_h for j in js),
            sum(j.gpu_hours for j in js),
        )
        for rule, js in by_rule.items()
    ]
    return sorted(rows, key=lambda r: (-r.gpu_hours, r.rule))


def packs(jobs: list[PlannedJob]) -> dict[int, list[PlannedJob]]:
    """Group jobs (one SLURM allocation each) -> their members."""
    out: dict[int, list[PlannedJob]] = defaultdict(list)
    for job in jobs:
        if job.pack is not None:
            out[job.pack].append(job)
    return dict(out)


def summary(jobs: list[PlannedJob], local: set[str]) -> dict[str, Any]:
    """Totals for the cost report: GPU-hours, SLURM submissions, the longest pack."""
    rows = cost_by_rule(jobs, local)
    grouped = packs(jobs)
    sent = submitted(jobs, local)
    # With `gpu` capped at 1 per allocation, a pack runs its members one after another, so
    # its walltime is the sum of theirs (what Snakemake asks SLURM for).
    longest = max(grouped.values(), key=lambda js: sum(j.runtime_h for j in js), default=[])
    return {
        "jobs": len(sent),
        "slurm_submissions": sum(1 for j in sent if j.pack is None) + len(grouped),
        "gpu_hours": sum(r.gpu_hours for r in rows),
        "gpu_jobs": sum(1 for j in sent if j.gpus),
        "longest_pack_hours": sum(j.runtime_h for j in longest),
        "longest_pack_jobs": len(longest),
        "rules": {
            r.rule: {
                "jobs": r.jobs,
                "gpus_per_job": list(r.gpus_per_job),
                "hours": r.hours,
                "gpu_hours": r.gpu_hours,
            }
            for r in rows
        },
        "job_counts": dict(Counter(j.rule for j in jobs)),
    }


def local_rules(workflow_dir: Path) -> set[str]:
    """Rule names in the ``localrules:`` blocks of the Snakefile and rules/*.smk (also one
    inside an ``if``, as the staging rules' is)."""
    names: set[str] = set()
    for path in [workflow_dir / "Snakefile", *sorted((workflow_dir / "rules").glob("*.smk"))]:
        text = path.read_text()
        pattern = r"^([ \t]*)localrules:[ \t]*\n((?:\1[ \t]+\w+,?[ \t]*\n)+)"
        for block in re.finditer(pattern, text, re.M):
            names.update(re.findall(r"\w+", block[2]))
    return names


def estimate(jobs: list[PlannedJob], local: set[str], plan: Any) -> dict[str, Any]:
    """The cost model's GPU-hours of the submitted jobs, per setting and per rule, beside
    their requested walltime (the profile's runtime, from the same model with its margin);
    plus the submissions and the longest pack (:func:`summary`)."""
    from pipeline.cluster.first_principles import first_principles_minutes
    from pipeline.cluster.walltime import estimate_minutes, job_setting

    def add(table: dict[str, dict[str, Any]], key: str, job: PlannedJob, hours: float) -> None:
        row = table.setdefault(
            key,
            {
                "jobs": 0,
                "gpus_per_job": set(),
                "gpu_hours": 0.0,
                "requested_gpu_hours": 0.0,
                "first_principles_gpu_hours": 0.0,
            },
        )
        row["jobs"] += 1
        row["gpus_per_job"].add(job.gpus)
        row["gpu_hours"] += job.gpus * hours
        row["requested_gpu_hours"] += job.gpu_hours
        counted = first_principles_minutes(plan, job.rule, job.wildcards)
        if counted is None or row["first_principles_gpu_hours"] is None:
            row["first_principles_gpu_hours"] = None
        else:
            row["first_principles_gpu_hours"] += job.gpus * counted / 60

    settings: dict[str, dict[str, Any]] = {}
    rules: dict[str, dict[str, Any]] = {}
    for job in submitted(jobs, local):
        hours = estimate_minutes(plan, job.rule, job.wildcards) / 60
        add(settings, job_setting(plan, job.rule, job.wildcards), job, hours)
        add(rules, job.rule, job, hours)
    for table in (settings, rules):
        for row in table.values():
            row["gpus_per_job"] = sorted(row["gpus_per_job"])
    order = lambda table: dict(sorted(table.items(), key=lambda kv: -kv[1]["gpu_hours"]))  # noqa: E731
    base = summary(jobs, local)
    return {
        **{k: base[k] for k in ("jobs", "slurm_submissions", "longest_pack_hours")},
        "longest_pack_jobs": base["longest_pack_jobs"],
        "gpu_hours": sum(r["gpu_hours"] for r in rules.values()),
        "requested_gpu_hours": base["gpu_hours"],
        "settings": order(settings),
        "rules": order(rules),
    }
