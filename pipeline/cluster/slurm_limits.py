"""A SLURM partition's limits (``sinfo``/``scontrol``) against what the profile's jobs ask for.

The requests come from Snakemake's dry run (``pipeline.cluster.requested``); the limits from the
cluster's own commands, so the check sees the partitions as the scheduler does. Text parsing
by hand: SLURM 22.05 has no JSON output for ``sinfo``/``scontrol`` without its REST plugin,
and the SLURM executor plugin's reader of ``scontrol`` keeps no per-node memory or GPUs.
Where no SLURM command is at hand, the plugin's own partition file
(``generate-slurm-partition-config``, read by the plugin's ``read_partition_file``) gives
the limits instead: :func:`partitions_from_config`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pipeline.cluster import requested

THREADS_RE = re.compile(r"^\s+threads: (?P<threads>\d+)$")
GRES_GPU_RE = re.compile(r"^gpu(?::[^:(]+)?:(?P<count>\d+)")
RETRIES_RE = re.compile(r"^retries:\s*(?P<n>\d+)", re.M)


@dataclass(frozen=True)
class Node:
    name: str
    cpus: int
    mem_mb: int
    gpus: int


@dataclass(frozen=True)
class Partition:
    name: str
    nodes: tuple[Node, ...]
    max_minutes: int | None = None  # None: unlimited
    max_cpus_per_node: int | None = None
    max_mem_per_node: int | None = None
    default: bool = False

    def describe(self) -> str:
        biggest = max(self.nodes, key=lambda n: (n.cpus, n.mem_mb, n.gpus), default=None)
        size = f"{biggest.cpus} CPUs, {biggest.mem_mb} MB, {biggest.gpus} GPUs" if biggest else ""
        limit = "no time limit" if self.max_minutes is None else f"MaxTime {self.max_minutes} min"
        return f"{len(self.nodes)} nodes, largest {size}, {limit}"


@dataclass(frozen=True)
class Request:
    """One SLURM submission: a job, or a pack of grouped jobs sharing one allocation."""

    what: str
    partition: str | None
    cpus: int
    mem_mb: int
    gpus: int
    minutes: int


def slurm_minutes(text: str) -> int | None:
    """SLURM's time format (``MM``, ``MM:SS``, ``HH:MM:SS``, ``D-HH[:MM[:SS]]``) in whole
    minutes, rounded up; None for UNLIMITED/INFINITE."""
    if text.upper() in ("UNLIMITED", "INFINITE", "NONE"):
        return None
    days, _, clock = text.rpartition("-")
    parts = [int(p) for p in clock.split(":")]
    if days:  # D-HH, D-HH:MM, D-HH:MM:SS
        hours, minutes, seconds = (parts + [0, 0])[:3]
    elif len(parts) == 3:
        hours, minutes, seconds = parts
    else:  # MM or MM:SS
        hours, (minutes, seconds) = 0, (parts + [0])[:2]
    total = (int(days or 0) * 24 + hours) * 60 + minutes
    return total + (1 if seconds else 0)


def gres_gpus(gres: str) -> int:
    """GPUs in a node's GRES string: ``gpu:2``, ``gpu:a100:4(S:0-1)``, comma-separated."""
    return sum(int(m["count"]) for item in gres.split(",") if (m := GRES_GPU_RE.match(item)))


def _run(cmd: list[str]) -> str:
    if shutil.which(cmd[0]) is None:
        raise ValueError(
            f"`{cmd[0]}` is not on PATH: run cluster-check where SLURM is (login node)"
        )
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise ValueError(f"`{' '.join(cmd)}` failed: {proc.stderr.strip()}")
    return proc.stdout


def _limit(fields: dict[str, str], key: str) -> int | None:
    value = fields.get(key, "UNLIMITED")
    return None if value.upper() in ("UNLIMITED", "0") else int(value)


def parse_partitions(sinfo: str, scontrol: str) -> dict[str, Partition]:
    """From ``sinfo -h -N -o '%P|%N|%c|%m|%G'`` and ``scontrol show partition -o``."""
    nodes: dict[str, dict[str, Node]] = {}
    defaults = set()
    for line in sinfo.splitlines():
        if not line.strip():
            continue
        part, name, cpus, mem, gres = line.split("|")
        if part.endswith("*"):
            part = part[:-1]
            defaults.add(part)
        node = Node(name, int(cpus.rstrip("+")), int(mem.rstrip("+")), gres_gpus(gres))
        nodes.setdefault(part, {})[name] = node
    out = {}
    for line in scontrol.splitlines():
        fields = dict(tok.split("=", 1) for tok in line.split() if "=" in tok)
        if "PartitionName" not in fields:
            continue
        name = fields["PartitionName"]
        out[name] = Partition(
            name=name,
            nodes=tuple(nodes.get(name, {}).values()),
            max_minutes=slurm_minutes(fields.get("MaxTime", "UNLIMITED")),
            max_cpus_per_node=_limit(fields, "MaxCPUsPerNode"),
            max_mem_per_node=_limit(fields, "MaxMemPerNode"),
            default=name in defaults or fields.get("Default") == "YES",
        )
    return out


def partitions() -> dict[str, Partition]:
    """The cluster's partitions, read from ``sinfo`` and ``scontrol`` here."""
    return parse_partitions(
        _run(["sinfo", "-h", "-N", "-o", "%P|%N|%c|%m|%G"]),
        _run(["scontrol", "show", "partition", "-o"]),
    )


def partitions_from_config(path: str | Path) -> dict[str, Partition]:
    """The partitions of the SLURM plugin's partition file, each as one node holding its
    limits (``max_threads``, ``max_mem_mb``, ``max_gpu``; an absent limit is unlimited)."""
    from math import isinf

    from snakemake_executor_plugin_slurm.partitions import read_partition_file

    def number(value: float) -> int:
        return 1 << 62 if isinf(value) else int(value)

    out = {}
    for part in read_partition_file(Path(path)):
        limits = part.limits
        node = Node("limits", number(limits.max_threads), number(limits.max_mem_mb), limits.max_gpu)
        minutes = None if isinf(limits.max_runtime) else int(limits.max_runtime)
        out[part.name] = Partition(part.name, (node,), max_minutes=minutes)
    return out


def profile_retries(profile: str) -> int:
    """The profile's ``retries`` (read as text: evaluating the YTE template needs a run)."""
    from snakemake.cli import get_profile_dir

    found = get_profile_dir(profile)
    if found is None:
        raise ValueError(f"profile {profile!r} not found (a folder with config.v8+.yaml)")
    match = RETRIES_RE.search(Path(found[1]).read_text())
    return int(match["n"]) if match else 0


def _threads(text: str) -> list[int]:
    """Threads of every job of the dry run, in ``requested.parse_dry_run``'s order (Snakemake
    prints ``threads:`` only when more than one)."""
    out: list[int] = []
    for line in text.splitlines():
        if requested.JOB_RE.match(line):
            out.append(1)
        elif out and (m := THREADS_RE.match(line)):
            out[-1] = int(m["threads"])
    return out


def requests(text: str, local: set[str]) -> list[Request]:
    """The SLURM submissions of a dry run: each job not in a pack, and each pack with the
    largest member's CPUs, memory and GPUs and the sum of its members' walltimes (the profile
    runs a pack's members one after another on one GPU)."""
    jobs = requested.parse_dry_run(text)
    threads = _threads(text)
    if len(threads) != len(jobs):
        raise ValueError("dry run output not understood: job and thread counts differ")
    singles: list[Request] = []
    packed: dict[int, list[tuple[requested.PlannedJob, int]]] = {}
    for job, n in zip(jobs, threads, strict=True):
        if not job.shell or job.rule in local:
            continue
        if job.pack is not None:
            packed.setdefault(job.pack, []).append((job, n))
            continue
        cell = ",".join(f"{k}={v}" for k, v in job.wildcards.items())
        singles.append(_request(f"{job.rule} {cell}".strip(), [(job, n)], sum_minutes=False))
    for members in packed.values():
        group = members[0][0].group
        singles.append(_request(f"pack {group} ({len(members)} jobs)", members, sum_minutes=True))
    return singles


def _request(
    what: str, members: list[tuple[requested.PlannedJob, int]], sum_minutes: bool
) -> Request:
    minutes = [int(j.resources.get("runtime", 0)) for j, _ in members]
    return Request(
        what=what,
        partition=members[0][0].resources.get("slurm_partition"),
        cpus=max(n for _, n in members),
        mem_mb=max(int(j.resources.get("mem_mb", 0)) for j, _ in members),
        gpus=max(j.gpus for j, _ in members),
        minutes=sum(minutes) if sum_minutes else max(minutes),
    )


def problems_of(request: Request, parts: dict[str, Partition]) -> list[str]:
    """Why ``request`` can never start on its partition (empty if it can)."""
    name = request.partition or next((p.name for p in parts.values() if p.default), None)
    if name not in parts:
        return [f"partition {name!r} does not exist (sinfo lists: {', '.join(parts)})"]
    part = parts[name]
    asks = {"CPUs": request.cpus, "MB of memory": request.mem_mb, "GPUs": request.gpus}
    limits = {
        "CPUs": min(
            max((n.cpus for n in part.nodes), default=0), part.max_cpus_per_node or 1 << 62
        ),
        "MB of memory": min(
            max((n.mem_mb for n in part.nodes), default=0), part.max_mem_per_node or 1 << 62
        ),
        "GPUs": max((n.gpus for n in part.nodes), default=0),
    }
    out = [
        f"asks for {asks[k]} {k}; partition {name} offers at most {limits[k]} per node"
        for k in asks
        if asks[k] > limits[k]
    ]
    if not out and not any(
        n.cpus >= request.cpus and n.mem_mb >= request.mem_mb and n.gpus >= request.gpus
        for n in part.nodes
    ):
        out.append(
            f"asks for {request.cpus} CPUs, {request.mem_mb} MB and {request.gpus} GPUs on "
            f"one node; no node of partition {name} has all three"
        )
    if part.max_minutes is not None and request.minutes > part.max_minutes:
        out.append(
            f"asks for {request.minutes} min; partition {name} allows {part.max_minutes} min"
        )
    return out


def check_submissions(requests: list[Request], parts: dict[str, Partition]) -> list[str]:
    """One line per problem: the submission and why it cannot start."""
    return [f"{r.what}: {why}" for r in requests for why in problems_of(r, parts)]
