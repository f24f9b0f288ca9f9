"""The tiny study through a real SLURM (CI brings one up with ci/slurm-up.sh), with the
project's own profile edited only in its edit block, as a user would: account, partition and
SOFTWARE: none (this machine has no conda, so the run also shows a real, non-dry run without
conda starting its jobs).

The second member of the fine-tune pack to run is made to fail on the first attempt (a
`python` on PATH that exits 1 once); Snakemake deletes the whole pack's outputs and resubmits
it, and only the failed member trains again: the finished one restores what it kept.
Skipped, with the reason, where no SLURM answers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.conftest import member_minutes, tiny_study

REPO = Path(__file__).resolve().parents[1]
RUN = "results/runs/m/syn_sentiment/fraction-1/{compression}/{mode}/seed{seed}"
CELLS = [("dense", "dense", 0), ("magnitude-0.5", "sparse", 0)]  # one pack of two


def slurm_reason() -> str | None:
    """Why the tests cannot run here (None: a SLURM cluster answers)."""
    if shutil.which("sbatch") is None:
        return "no SLURM here (sbatch not on PATH); CI starts one with ci/slurm-up.sh"
    ping = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True)
    if ping.returncode != 0 or not ping.stdout.strip():
        return f"SLURM installed but no cluster answers sinfo: {ping.stderr.strip()[:200]}"
    return None


pytestmark = [
    pytest.mark.workflow,
    pytest.mark.skipif(slurm_reason() is not None, reason=str(slurm_reason())),
]


def cluster_names() -> tuple[str, str]:
    """(account, partition) as a user finds them: sacctmgr and sinfo's default partition."""
    user = os.environ.get("USER") or subprocess.check_output(["id", "-un"], text=True).strip()
    assoc = subprocess.check_output(
        ["sacctmgr", "-n", "-P", "show", "assoc", f"user={user}", "format=account"], text=True
    )
    parts = subprocess.check_output(["sinfo", "-h", "-o", "%P"], text=True).split()
    return assoc.split()[0], next(p.rstrip("*") for p in parts if p.endswith("*"))


def user_profile(folder: Path, **replace: str) -> Path:
    """The shipped profile with only its edit block changed (plus ``replace``)."""
    account, partition = cluster_names()
    text = (REPO / "slurm" / "config.v8+.yaml").read_text()
    edits = {
        'slurm_account: "CHANGE_ME_account"': f'slurm_account: "{account}"',
        'slurm_partition: "CHANGE_ME_gpu_partition"': f'slurm_partition: "{partition}"',
        "SOFTWARE: conda": "SOFTWARE: none",
        **replace,
    }
    for old, new in edits.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.v8+.yaml").write_text(text)
    return folder


def failing_python(bin_dir: Path, mark: Path) -> None:
    """A ``python`` that fails the second fine-tune it starts (once; its arguments go to
    ``mark``), so that pack has a finished member before the failing one."""
    bin_dir.mkdir()
    count = bin_dir / "finetunes"
    shim = bin_dir / "python"
    shim.write_text(
        "#!/bin/sh\n"
        'case "$*" in *"pipeline finetune"*)\n'
        f'  n=$(($(cat "{count}" 2>/dev/null || echo 0) + 1)); echo $n > "{count}"\n'
        f'  if [ $n = 2 ]; then echo "$*" > "{mark}"; echo injected failure >&2; exit 1; fi;;\n'
        "esac\n"
        f'exec "{sys.executable}" "$@"\n'
    )
    shim.chmod(0o755)


def failed_cell(mark: Path) -> tuple[str, str, int]:
    spec = json.loads(mark.read_text().partition("pipeline finetune ")[2])  # its run spec
    return spec["compression"], spec["mode_name"], spec["protocol"]["seed"]


def sacct(name: str) -> list[dict[str, str]]:
    fields = "JobID,JobName,State,Comment,Timelimit,ReqMem,AllocTRES,ExitCode"
    for _ in range(20):  # accounting lags the job's end by a moment
        out = subprocess.check_output(
            ["sacct", "-X", "-n", "-P", f"--name={name}", "-o", fields], text=True
        )
        rows = [
            dict(zip(fields.split(","), line.split("|"), strict=True))
            for line in out.split("\n")
            if line
        ]
        if rows and all(r["State"] in ("COMPLETED", "FAILED") for r in rows):
            return rows
        time.sleep(0.5)
    return rows


def env_with(bin_dir: Path | None = None) -> dict[str, str]:
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    if bin_dir is not None:
        path = f"{bin_dir}{os.pathsep}{path}"
    return {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO), "PATH": path}


@pytest.fixture(scope="module")
def study_run(tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("slurm")
    profile = user_profile(work / "profile")
    config = work / "study.yaml"
    config.write_text(
        yaml.safe_dump(tiny_study(work / "results", [0.5], ["dense", "sparse"], [0], [1.0]))
    )
    failing_python(work / "bin", work / "failed-once")
    start = time.time()
    run = subprocess.run(
        [
            sys.executable, "-m", "snakemake", "--profile", str(profile),
            "--snakefile", str(REPO / "Snakefile"), "--directory", str(work),
            "--configfile", str(config),
            # status polling shortened for the test (the plugin waits 40 s by default)
            "--slurm-init-seconds-before-status-checks", "1",
            "--seconds-between-status-checks", "2",
            str(work / "results/tables/results.parquet"),
        ],
        capture_output=True, text=True, env=env_with(work / "bin"), timeout=600,
    )  # fmt: skip
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-6000:]
    name = next(
        line.split("SLURM run ID: ")[1].strip()
        for line in output.splitlines()
        if "SLURM run ID: " in line
    )
    print(f"real-SLURM tiny study: {time.time() - start:.0f} s, SLURM name {name}")
    return {"work": work, "name": name, "output": output, "jobs": sacct(name)}


def rule_of(job: dict[str, str]) -> str:
    """The rule in the plugin's --comment: rule_RULE[_wildcards_...] or rule_GROUP_RULES."""
    return job["Comment"].removeprefix("rule_").split("_wildcards")[0].split("-")[0]


def test_every_job_went_through_sacct_and_the_pack_was_retried_once(study_run):
    jobs = study_run["jobs"]
    assert all(j["JobName"] == study_run["name"] for j in jobs)  # `scancel --name` finds them
    by_rule: dict[str, list[dict]] = {}
    for job in jobs:
        by_rule.setdefault(rule_of(job), []).append(job)
    assert sorted(by_rule) == ["finetune", "make_world", "prune", "stage_model"], by_rule
    for rule in ("make_world", "stage_model", "prune"):
        [job] = by_rule[rule]
        assert job["State"] == "COMPLETED" and "gres/gpu" not in job["AllocTRES"], job
    first, retry = by_rule["finetune"]
    assert (first["State"], retry["State"]) == ("FAILED", "COMPLETED")
    # one GPU for the pack of two; the sum of its members' walltimes, scaled with the
    # memory on the second attempt
    assert "gres/gpu=1" in first["AllocTRES"] and "gres/gpu=1" in retry["AllocTRES"]
    # the cost model's requests (default throughput row) for the pack of two, per attempt
    assert (first["Timelimit"], retry["Timelimit"]) == (
        hhmmss(2 * member_minutes(1)),
        hhmmss(2 * member_minutes(2)),
    )
    assert (first["ReqMem"], retry["ReqMem"]) == ("16000M", "32000M")


def test_the_retry_trained_only_the_failed_member(study_run):
    work = study_run["work"]
    failed = failed_cell(work / "failed-once")  # the failure was injected, in the second run
    logs = work / "results/logs/runs/m/syn_sentiment/fraction-1"
    for compression, mode, seed in CELLS:
        log = (logs / compression / mode / f"seed{seed}.log").read_text()
        if (compression, mode, seed) == failed:
            assert "retain: restored" not in log and "accuracy = " in log, log
        else:  # finished on the first attempt: put back, not trained again
            assert "retain: restored" in log and "accuracy = " not in log, log


def test_the_results_are_real_and_the_kept_copies_are_released(study_run):
    import pyarrow.parquet as pq

    work = study_run["work"]
    table = pq.read_table(work / "results/tables/results.parquet").to_pylist()
    got = sorted((r["compression"], r["mode"], r["seed"]) for r in table)
    assert got == sorted(CELLS)
    for compression, mode, seed in CELLS:
        run = work / RUN.format(compression=compression, mode=mode, seed=seed)
        record = json.loads((run / "metrics.json").read_text())
        assert record["metric"] == "accuracy" and 0.0 < record["value"] <= 1.0
        assert record["training"]["steps"] > 0
        if mode == "sparse":
            assert record["achieved_sparsity"] == pytest.approx(0.5, abs=0.01)
        assert not (run / "checkpoint").exists()
    # the pack succeeded: each finished run's kept copy is still there only while its
    # temp() model is (it is what a failed pack would need back)
    for compression, mode, seed in CELLS:
        run = work / RUN.format(compression=compression, mode=mode, seed=seed)
        if (run / "finetuned").exists():
            assert (run / "done" / "metrics.json").read_bytes() == (
                run / "metrics.json"
            ).read_bytes()


def sbatch(work: Path, name: str, command: list[str], env: dict[str, str]) -> str:
    account, partition = cluster_names()
    wrap = " ".join(f"'{c}'" for c in command)
    flags = ["-A", account, "-p", partition, "-c", "1", "--mem", "2000", "-t", "10", "-J", name]
    flags += ["-o", str(work / f"{name}.log"), "-D", str(REPO), f"--wrap={wrap}"]
    return subprocess.check_output(["sbatch", "--parsable", *flags], text=True, env=env).strip()


def wait_until(predicate, what: str, timeout: float = 180) -> None:
    end = time.time() + timeout
    while not predicate():
        if time.time() > end:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.5)


def hhmmss(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}:00"


def job_state(job: str) -> str:
    """The controller's live state while the job is queued or running (squeue); sacct's
    only after it has left the queue. sacct alone lags: slurmdbd records a start a few
    seconds late, so a job already running (and writing its log) can still read PENDING."""
    live = subprocess.run(
        ["squeue", "-h", "-j", job, "-o", "%T"], capture_output=True, text=True
    ).stdout.strip()
    if live:
        return live
    out = subprocess.check_output(["sacct", "-X", "-n", "-P", "-j", job, "-o", "State"], text=True)
    return out.strip()


def test_a_second_instance_of_a_running_cell_waits_and_never_trains_alongside(
    tiny_roberta, tiny_world, tmp_path
):
    from pipeline.finetune.trainer import HOLD_ENV

    run = tmp_path / "run"
    protocol = {"lr": 1e-3, "epochs": 3, "batch_size": 16, "max_length": 24}
    spec = {
        "study": "t", "setting": "data_fraction", "model_name": "tiny",
        "model_dir": str(tiny_roberta), "task_name": "syn_sentiment",
        "world_dir": str(tiny_world), "difficulty": "fraction-1", "compression": "dense",
        "mode_name": "dense", "protocol": {**protocol, "seed": 3}, "checkpoint_minutes": 1e-9,
        "out_dir": str(run / "finetuned"), "out": str(run / "metrics.json"), "progress": False,
    }  # fmt: skip
    command = [sys.executable, "-m", "pipeline", "finetune", json.dumps(spec)]
    log = {name: tmp_path / f"{name}.log" for name in ("orphan", "rerun", "third")}

    def says(name: str, text: str) -> bool:
        return log[name].is_file() and text in log[name].read_text()

    orphan = sbatch(tmp_path, "orphan", command, {**env_with(), HOLD_ENV: "10"})
    try:
        wait_until(lambda: says("orphan", "holding at step 10"), "the first instance to train")
        rerun = sbatch(tmp_path, "rerun", command, env_with())
        wait_until(lambda: says("rerun", "in use by another instance"), "the second to wait")
        assert f"SLURM job {orphan}" in log["rerun"].read_text()  # it names the holder
        time.sleep(3)
        assert job_state(rerun) == "RUNNING" and not (run / "metrics.json").exists()
        # a tiny wall-time interval checkpoints every step: the newest is the held step's
        assert [p.name for p in (run / "checkpoint").iterdir()] == ["step-00000010"]
    finally:
        subprocess.run(["scancel", orphan], check=True)  # the orphan dies: its lock goes
    wait_until(lambda: job_state(rerun) == "COMPLETED", "the second instance to finish")
    record = json.loads((run / "metrics.json").read_text())
    assert record["training"]["resumed_from_step"] == 10  # it continued, never trained alongside

    third = sbatch(tmp_path, "third", command, env_with())
    wait_until(lambda: job_state(third) == "COMPLETED", "a third instance to finish")
    assert says("third", "retain: restored") and not says("third", "accuracy = ")
    assert json.loads((run / "metrics.json").read_text()) == record


def test_the_preflight_flags_a_job_asking_for_more_cpus_than_the_partition_has(tmp_path):
    cpus = max(
        int(c.rstrip("+"))
        for c in subprocess.check_output(["sinfo", "-h", "-o", "%c"], text=True).split()
    )
    profile = user_profile(tmp_path / "profile", **{"  finetune: 4": f"  finetune: {cpus + 1}"})
    config = tmp_path / "study.yaml"
    config.write_text(
        yaml.safe_dump(tiny_study(tmp_path / "results", [0.5], ["dense"], [0], [1.0]))
    )
    target = str(tmp_path / "results/tables/results.parquet")
    where = f"--configfile {config} --directory {tmp_path} --snakefile {REPO / 'Snakefile'}"
    check = [sys.executable, "-m", "pipeline", "cluster-check", target, "--profile", str(profile)]
    check += ["--snakemake-args", where]
    run = subprocess.run(
        check, capture_output=True, text=True, env=env_with(), cwd=REPO, timeout=300
    )
    assert run.returncode == 2, run.stdout + run.stderr
    for attempt in (1, 2, 3):  # the profile's two retries are checked too
        assert (
            f"attempt {attempt}: pack finetune-pack (1 jobs): asks for "
            f"{cpus + 1} CPUs; partition" in run.stdout
        ), run.stdout
    assert "3 of 9 SLURM submissions (attempts 1-3) can never start" in run.stderr
    assert not (tmp_path / "results").exists()  # nothing ran, nothing was submitted
