"""Every command in README.md's fenced shell blocks runs and exits 0.

Each command runs in its own copy of the repository (tracked and untracked, not ignored
files; `.venv` linked to this interpreter's environment), as the README's reader would type
it, except where a real run is long or reaches outside the machine:

* `snakemake ...` runs as a dry run (`-n`): the whole DAG is built and the config checked;
* `make TARGET` runs as `make -n`, and the Snakemake commands of TARGET's recipe then run
  as dry runs (`make test` and `make setup` print their recipe only: the suite itself and
  pip installs);
* `python -m pipeline cost` prices the output of the README's own
  `snakemake --profile slurm -n all_figures` (the dry run it would run itself);
* `python -m pipeline cluster-check` is skipped: it reads SLURM's partitions (sinfo,
  scontrol), which only a cluster has; tests/test_cluster_check.py covers it.

A command that matches none of these fails the test, so a new README command needs a rule
here. Each distinct line runs once (the submit command's dry run is the dry-run command),
two at a time (dry runs are CPU-bound, one core each).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
FENCE = re.compile(r"^```(?:bash|sh|shell|console)\n(.*?)^```", re.S | re.M)
MAKE_DRY = {"setup": "installs packages with pip", "test": "runs the whole suite (17+ min)"}


def readme_commands(text: str) -> list[str]:
    """The commands of every fenced shell block, continuation lines joined, comments and
    blank lines dropped (a command's own trailing comment is left to bash)."""
    commands = []
    for block in FENCE.findall(text):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                commands.append(line.strip())
    return commands


COMMANDS = readme_commands(README.read_text())


def _pending(command: str) -> str | None:
    """Why a command cannot run in this checkout yet: the feature it shows is not here."""
    if ("make quick" in command or "configs/quick.yaml" in command) and not (
        (ROOT / "configs" / "quick.yaml").exists()
        and re.search(r"^quick:", (ROOT / "Makefile").read_text(), re.M)
    ):
        return "make quick / configs/quick.yaml are not in this checkout"
    if "--config" in command and not (ROOT / "pipeline" / "overrides.py").exists():
        return "typed --config overlays (pipeline/overrides.py) are not in this checkout"
    return None


@dataclass
class Outcome:
    steps: list[tuple[str, int, str]]  # (command run, exit status, output tail)
    skip: str | None = None


def _words(command: str) -> list[str]:
    return shlex.split(command, comments=True)


def _dry(command: str) -> str:
    """A snakemake command as a dry run (its comment dropped)."""
    words = _words(command)
    if "-n" in words or "--dry-run" in words:
        return shlex.join(words)
    i = words.index("snakemake")
    return shlex.join([*words[: i + 1], "-n", *words[i + 1 :]])


COST = ["python", "-m", "pipeline", "cost"]


def plan(command: str) -> list[str] | str:
    """The commands that check ``command``, or the reason it is skipped."""
    if reason := _pending(command):
        return reason
    words = _words(command)
    if words[:4] == ["python", "-m", "pipeline", "cluster-check"]:
        return "cluster-check reads SLURM's sinfo/scontrol (tests/test_cluster_check.py)"
    if words == COST:
        return [command]
    if words == [".", ".venv/bin/activate"]:
        return [command]
    if "snakemake" in words:
        return [_dry(command)]
    if "make" in words:
        return [command.replace("make ", "make -n ", 1)]
    raise AssertionError(f"README command with no rule in {__file__}: {command}")


def _copy(dest: Path) -> Path:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = ROOT / name.decode()
        if source.is_file():
            (dest / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name.decode())
    (dest / ".venv").symlink_to(sys.prefix)
    return dest


class Runner:
    """Runs each distinct command line once, each in a fresh copy of the repository; a line
    asked for again (the submit command's dry run is the dry-run command) waits for the
    first run's result."""

    def __init__(self, base: Path) -> None:
        self.base, self.lock, self.memo = base, threading.Lock(), {}

    def copy(self) -> Path:
        with self.lock:
            dest = self.base / f"copy{len(list(self.base.iterdir()))}"
            dest.mkdir()
        return _copy(dest)

    def run(self, line: str, cwd: Path | None = None) -> tuple[str, int, str]:
        key = (tuple(sorted(_words(line))), cwd)
        with self.lock:
            future, first = self.memo.get(key), key not in self.memo
            if first:
                future = self.memo[key] = Future()
        if first:
            try:
                future.set_result(_run(line, cwd or self.copy()))
            except Exception as error:  # a timeout: reported by the waiting tests too
                future.set_exception(error)
        return future.result()

    def check(self, command: str) -> Outcome:
        steps = plan(command)
        if isinstance(steps, str):
            return Outcome([], skip=steps)
        words = _words(command)
        if words == COST:
            # `cost` runs `snakemake --profile slurm -n all_figures` itself, the README's dry
            # run: it reads that run's output instead of planning the paper study again.
            dry = self.run("snakemake --profile slurm -n all_figures")
            cwd = self.copy()
            (cwd / "dry-run.txt").write_text(dry[2])
            return Outcome([dry, _run(f"{command} --dry-run-output dry-run.txt", cwd)])
        results = [self.run(line) for line in steps]
        if "make" in words and not any(w in MAKE_DRY for w in words):
            # The recipe's own lines (setup taken as done): pipeline.locks as it is, and
            # the snakemake command as a dry run.
            cwd = self.copy()
            target = words[words.index("make") + 1 :]
            recipe = _run(shlex.join(["make", "-n", "-o", ".venv/bin/snakemake", *target]), cwd)
            results.append(recipe)
            for line in recipe[2].splitlines():
                if "snakemake" in line:
                    results.append(_run(f"{line} -n", cwd))
                elif "pipeline.locks" in line:
                    results.append(_run(line, cwd))
        return Outcome(results)


def _run(line: str, cwd: Path) -> tuple[str, int, str]:
    env = {
        **os.environ,
        "PATH": f"{cwd / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(cwd),
        "HF_HUB_OFFLINE": "1",
    }
    done = subprocess.run(
        ["bash", "-c", line], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    return line, done.returncode, done.stdout + done.stderr


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, Outcome]:
    runner = Runner(tmp_path_factory.mktemp("readme"))
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {c: pool.submit(runner.check, c) for c in dict.fromkeys(COMMANDS)}
        return {c: f.result() for c, f in futures.items()}


def test_the_readme_has_the_commands_a_newcomer_needs():
    joined = "\n".join(COMMANDS)
    for needed in ("make study", "make test", "make quick", "snakemake -n all_figures"):
        assert needed in joined
    assert "snakemake --profile slurm all_figures" in joined
    assert len(README.read_text().splitlines()) <= 160


@pytest.mark.workflow
@pytest.mark.parametrize("command", list(dict.fromkeys(COMMANDS)))
def test_readme_command_exits_0(command, outcomes):
    outcome = outcomes[command]
    if outcome.skip:
        pytest.skip(outcome.skip)
    assert outcome.steps
    for line, status, tail in outcome.steps:
        assert status == 0, f"{line}\n{tail[-3000:]}"
        if "snakemake" in line and " -n" in line and "make -n" not in line:
            assert "This was a dry-run" in tail, f"{line}\n{tail[-3000:]}"


def test_every_link_of_the_readme_exists():
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README.read_text()):
        if target == "docs/config.md" and not (ROOT / "pipeline" / "overrides.py").exists():
            continue  # written with the config overlays (pipeline/overrides.py)
        assert (ROOT / target).exists(), target
