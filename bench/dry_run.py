"""Time the paper study's dry run through the SLURM profile against the default study's.

    python bench/dry_run.py                  # paper and default study's dry runs, this tree
    python bench/dry_run.py --against HEAD~1 # ... and both at a commit
    python bench/dry_run.py --repeats 3

The machine is shared, so wall time says little: each dry run's CPU time (user + sys of the
Snakemake process and its children, from ``os.wait4``) is measured too, the commands are run
alternately, back to back, and the ratios of CPU times are printed: the paper's dry run over
the default study's (both this tree), and each over its run at ``--against`` (checked out
into a temporary git worktree, using this tree's virtual environment).

Every ``snakemake`` start imports the SLURM executor plugin, which runs ``scontrol show
config`` at import; on a machine whose SLURM configuration names a controller that is down,
that waits ~9 s (wall, no CPU) in every dry run. The import is timed on its own, so that the
wall times can be read without it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PAPER = ["-m", "snakemake", "--profile", "slurm", "-n", "all_figures"]
DEFAULT = ["-m", "snakemake", "-n", "all_figures"]
PLUGIN_IMPORT = ["-c", "import snakemake_executor_plugin_slurm"]


def timed(tree: Path, args: list[str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of ``python ARGS`` run in ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree), "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, *args]
    with tempfile.TemporaryFile("w+") as log:  # a pipe would fill: the listing is ~10 MB
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=tree, env=env, stdout=log, stderr=log)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            log.seek(0)
            raise SystemExit(f"{' '.join(command)} failed in {tree}:\n{log.read()[-2000:]}")
    return usage.ru_utime + usage.ru_stime, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--against", help="git revision whose dry runs are also timed")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()

    commands = {
        "paper": (REPO, PAPER),
        "default": (REPO, DEFAULT),
        "plugin import": (REPO, PLUGIN_IMPORT),
    }
    with tempfile.TemporaryDirectory() as scratch:
        if args.against:
            base_tree = Path(scratch) / "baseline"
            subprocess.run(
                ["git", "worktree", "add", "-q", "--detach", str(base_tree), args.against],
                cwd=REPO,
                check=True,
            )
            (base_tree / ".venv").symlink_to(REPO / ".venv")
            commands[f"paper at {args.against}"] = (base_tree, PAPER)
            commands[f"default at {args.against}"] = (base_tree, DEFAULT)
        try:
            runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
            for _ in range(args.repeats):  # alternate, so all see the same load
                for name, (tree, command) in commands.items():
                    runs[name].append(timed(tree, command))
        finally:
            if args.against:
                subprocess.run(
                    ["git", "worktree", "remove", "--force", str(base_tree)], cwd=REPO, check=False
                )
    cpu = {name: statistics.median(c for c, _ in values) for name, values in runs.items()}
    wall = {name: statistics.median(w for _, w in values) for name, values in runs.items()}
    print(f"load average {os.getloadavg()[0]:.1f}; medians of {args.repeats} run(s)")
    print(f"  {'dry run':28s} {'CPU s':>7s} {'wall s':>7s}")
    for name in commands:
        print(f"  {name:28s} {cpu[name]:7.1f} {wall[name]:7.1f}")
    print(f"  CPU ratio paper / default:  {cpu['paper'] / cpu['default']:.2f}")
    if args.against:
        for name in ("paper", "default"):
            ratio = cpu[name] / cpu[f"{name} at {args.against}"]
            print(f"  CPU ratio {name} / {name} at {args.against}: {ratio:.2f}")


if __name__ == "__main__":
    main()
