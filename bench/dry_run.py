"""Time the paper study's dry run through the SLURM profile against a baseline in the same run.

    python bench/dry_run.py                  # paper vs the default study's dry run
    python bench/dry_run.py --against HEAD~1 # paper dry run: this tree vs a commit
    python bench/dry_run.py --repeats 3

The machine is shared, so wall time says little: each dry run's CPU time (user + sys of the
Snakemake process and its children, from ``os.wait4``) is measured too, the two commands are
run alternately, back to back, and the ratio of CPU times is printed. ``--against`` checks
the commit out into a temporary git worktree (using this tree's virtual environment).
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
PAPER = ["--profile", "slurm", "-n", "all_figures"]
DEFAULT = ["-n", "all_figures"]


def timed(tree: Path, args: list[str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one ``snakemake`` dry run in ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree), "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-m", "snakemake", *args]
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
    parser.add_argument("--against", help="git revision whose paper dry run is the baseline")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        if args.against:
            base_tree = Path(scratch) / "baseline"
            subprocess.run(
                ["git", "worktree", "add", "-q", "--detach", str(base_tree), args.against],
                cwd=REPO,
                check=True,
            )
            (base_tree / ".venv").symlink_to(REPO / ".venv")
            baseline = (f"paper dry run at {args.against}", base_tree, PAPER)
        else:
            baseline = ("default study's dry run", REPO, DEFAULT)
        try:
            runs: dict[str, list[tuple[float, float]]] = {"paper": [], "baseline": []}
            for _ in range(args.repeats):  # alternate, so both see the same load
                runs["baseline"].append(timed(baseline[1], baseline[2]))
                runs["paper"].append(timed(REPO, PAPER))
        finally:
            if args.against:
                subprocess.run(
                    ["git", "worktree", "remove", "--force", str(base_tree)], cwd=REPO, check=False
                )
    cpu = {name: statistics.median(c for c, _ in values) for name, values in runs.items()}
    wall = {name: statistics.median(w for _, w in values) for name, values in runs.items()}
    load = os.getloadavg()[0]
    print(f"load average {load:.1f}; medians of {args.repeats} run(s), CPU s (user+sys) / wall s")
    print(f"  paper dry run (this tree):   {cpu['paper']:6.1f} / {wall['paper']:6.1f}")
    print(f"  baseline, {baseline[0]}: {cpu['baseline']:6.1f} / {wall['baseline']:6.1f}")
    print(f"  CPU ratio paper / baseline:  {cpu['paper'] / cpu['baseline']:.2f}")


if __name__ == "__main__":
    main()
