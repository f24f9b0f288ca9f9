"""A stand-in for SLURM's commands, so the real SLURM plugin can be run on a laptop.

Called as ``fake_slurm.py COMMAND ARGS...`` (tests put one-line wrappers named sbatch, sacct,
srun, sinfo, sacctmgr, sshare on PATH). ``sbatch`` records its arguments and runs the job
before it answers (the plugin polls no job meanwhile, so no status back-off slows the test);
``sacct`` reports each job COMPLETED or FAILED by its exit status; ``srun`` runs its command.
Set FAKE_SLURM_FAIL_FIRST=RULE to fail the first submission of RULE unrun.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

STATE = Path(os.environ["FAKE_SLURM_DIR"])


def sbatch(args: list[str]) -> None:
    STATE.mkdir(parents=True, exist_ok=True)
    jobid = len(list(STATE.glob("*.json"))) + 1
    opts = dict(zip(args, args[1:], strict=False))
    wrap = next(a.removeprefix("--wrap=") for a in args if a.startswith("--wrap="))
    fail_rule = os.environ.get("FAKE_SLURM_FAIL_FIRST")
    first_of_rule = not any(
        json.loads(f.read_text())["comment"] == opts["--comment"] for f in STATE.glob("*.json")
    )
    if fail_rule and opts["--comment"].startswith(f"rule_{fail_rule}") and first_of_rule:
        rc = 1
    else:
        log = Path(opts["--output"].replace("%j", str(jobid)))
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("w") as out:
            rc = subprocess.call(
                ["bash", "-c", wrap],
                cwd=opts["-D"],
                stdout=out,
                stderr=out,
                env={**os.environ, "SLURM_JOB_ID": str(jobid)},
            )
    record = {
        "argv": [a for a in args if not a.startswith("--wrap=")],
        "wrap": wrap,
        "comment": opts["--comment"],
        "rc": rc,
    }
    (STATE / f"{jobid}.json").write_text(json.dumps(record))
    print(jobid)


def main() -> None:
    command, args = sys.argv[1], sys.argv[2:]
    if command == "sbatch":
        sbatch(args)
    elif command == "sacct":
        for f in sorted(STATE.glob("*.json")):
            state = "COMPLETED" if json.loads(f.read_text())["rc"] == 0 else "FAILED"
            print(f"{f.stem}|{state}")
    elif command == "srun":
        while args and args[0].startswith("-"):
            args = args[1:]
        os.execvp(args[0], args)
    # sinfo, sacctmgr, sshare: present and silent (no partition or account to validate)


if __name__ == "__main__":
    main()
