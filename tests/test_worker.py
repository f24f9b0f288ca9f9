"""The warm worker runs a job exactly as the job's own process would: same results bit for
bit, same exit status, same signals; its child never outlives the client; and a job the
worker cannot take runs in its own process."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from pipeline.finetune.trainer import HOLD_ENV
from pipeline.worker import client, lifecycle

ROOT = Path(__file__).resolve().parents[1]
PROTOCOL = {"lr": 1e-3, "epochs": 2, "batch_size": 16, "max_length": 24, "weight_decay": 0.01}


@pytest.fixture
def worker(monkeypatch, tmp_path):
    """Start a worker (its environment: this process's plus ``env``); yields its log."""
    log = tmp_path / "worker.log"

    def start(idle_s: float = 300, **env: str) -> Path:
        monkeypatch.setenv("PYTHONPATH", str(ROOT))
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
        monkeypatch.delenv(client.SWITCH_ENV, raising=False)
        monkeypatch.delenv("SLURM_JOB_ID", raising=False)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        assert lifecycle.start(log, idle_s=idle_s) is not None
        return log

    yield start
    lifecycle.stop()


def pipeline_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "pipeline", *args]


def finetune_args(model: Path, world: Path, masks: Path, out: Path, threads: int) -> list[str]:
    spec = {
        "study": "t",
        "setting": "data_fraction",
        "model_name": "tiny",
        "model_dir": str(model),
        "task_name": "syn_sentiment",
        "world_dir": str(world),
        "difficulty": "fraction-1",
        "compression": "magnitude-0.5",
        "masks_path": str(masks),
        "mode_name": "sparse",
        "protocol": {**PROTOCOL, "seed": 3},
        "out_dir": str(out / "finetuned"),
        "out": str(out / "metrics.json"),
        "threads": threads,
        "progress": False,
    }
    return ["finetune", json.dumps(spec)]


def job_env(threads: int = 1, **extra: str) -> dict[str, str]:
    """What Snakemake gives a job: its environment plus the thread variables."""
    per_job = {k: str(threads) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    return {**os.environ, **per_job, **extra}


def served(log: Path) -> list[tuple[int, str, str]]:
    """(pid, verb, outcome) of each job the worker ran to its end."""
    text = log.read_text() if log.exists() else ""
    return [(int(m[1]), m[2], m[3]) for m in re.finditer(r"job (\d+) (\S+): (exit -?\d+)", text)]


def started_pid(log: Path, timeout: float = 120) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(r"job (\d+) \S+: started", log.read_text() if log.exists() else "")
        if found:
            return int(found[1])
        time.sleep(0.1)
    pytest.fail(f"the worker started no job: {log.read_text()}")


def gone(pid: int, timeout: float = 30) -> bool:
    """The process has ended (a zombie left to a parent that does not reap it counts)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.1)
    return False


def wait_for(condition, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while not (value := condition()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return value


def weights(folder: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(folder / "model.safetensors"))


@pytest.mark.parametrize("threads", [1, 2])
def test_a_cell_run_by_the_worker_is_bit_identical_to_its_own_process(
    worker, tiny_roberta, tiny_world, mask_file, tmp_path, threads
):
    def run(out: Path, env: dict[str, str]) -> dict:
        args = finetune_args(tiny_roberta, tiny_world, mask_file, out, threads)
        done = subprocess.run(
            pipeline_command(*args), env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert "worker:" not in done.stderr  # no refusal note: the worker took the job
        return json.loads((out / "metrics.json").read_text())

    alone = run(tmp_path / "alone", job_env(threads))
    log = worker()
    # twice: a job leaves nothing behind in the worker for the next one
    first = run(tmp_path / "first", job_env(threads))
    second = run(tmp_path / "second", job_env(threads))
    assert [outcome for _, verb, outcome in served(log)] == ["exit 0", "exit 0"]

    for record in (alone, first, second):  # everything but the clock
        for timing in (record, record["training"]):
            for key in ("wall_time_s", "train_time_s", "steps_per_s"):
                assert timing.pop(key, 1) > 0
    assert first == alone and second == alone
    reference = weights(tmp_path / "alone" / "finetuned")
    for out in ("first", "second"):
        other = weights(tmp_path / out / "finetuned")
        assert other.keys() == reference.keys()
        assert all(torch.equal(other[k], reference[k]) for k in reference), out


def test_exit_status_and_error_text_are_the_job_s_own(worker, tmp_path):
    log = worker()
    bad_spec = pipeline_command(
        "stage-model", "--spec", '{"source": "nowhere"}', "--out", str(tmp_path / "m")
    )
    for command, status, text in [
        (pipeline_command("finetune", "--no-such-flag"), 2, "the following arguments are"),
        (bad_spec, 2, "error: model source 'nowhere'"),
        (pipeline_command("collect", "--help"), 0, "usage: python -m pipeline collect"),
    ]:
        done = subprocess.run(command, env=job_env(), capture_output=True, text=True, timeout=120)
        assert done.returncode == status, done.stderr
        assert text in done.stdout + done.stderr
    assert [outcome for _, _, outcome in served(log)] == ["exit 2", "exit 2", "exit 0"]


def hold_a_job(log: Path, tiny_roberta, tiny_world, mask_file, out: Path) -> subprocess.Popen:
    """A fine-tune run by the worker and held at step 2 (the trainer's test hook)."""
    args = finetune_args(tiny_roberta, tiny_world, mask_file, out, 1)
    proc = subprocess.Popen(
        pipeline_command(*args), env=job_env(), stdout=subprocess.PIPE, text=True
    )
    for line in proc.stdout:
        if line.startswith("holding at step 2"):
            return proc
    proc.kill()
    pytest.fail(f"the job ended before step 2: {log.read_text()}")


def test_a_killed_client_takes_its_job_with_it(
    worker, tiny_roberta, tiny_world, mask_file, tmp_path
):
    log = worker(**{HOLD_ENV: "2"})
    proc = hold_a_job(log, tiny_roberta, tiny_world, mask_file, tmp_path)
    child = started_pid(log)
    assert Path(f"/proc/{child}").exists()
    proc.kill()  # SIGKILL: the client cannot say anything
    proc.wait(timeout=30)
    assert gone(child)
    assert wait_for(lambda: served(log)) == [(child, "finetune", f"exit {-signal.SIGKILL}")]
    assert not (tmp_path / "metrics.json").exists()


def test_a_signal_to_the_client_ends_the_job_as_it_would_end_its_own_process(
    worker, tiny_roberta, tiny_world, mask_file, tmp_path
):
    log = worker(**{HOLD_ENV: "2"})
    proc = hold_a_job(log, tiny_roberta, tiny_world, mask_file, tmp_path)
    child = started_pid(log)
    proc.send_signal(signal.SIGTERM)
    # As its own process would: a fine-tune checkpoints on SIGTERM (SLURM's warning) and
    # exits 1 (pipeline/finetune/trainer.py, StopRequest).
    assert proc.wait(timeout=30) == 1
    assert gone(child)
    assert [p.name for p in (tmp_path / "checkpoint").iterdir()] == ["step-00000002"]


def test_a_job_the_worker_cannot_take_runs_in_its_own_process(worker, tmp_path):
    log = worker()
    help_ = pipeline_command("normalize", "--help")
    cases = [
        (job_env(JUNKDNA_EXTRA="1"), "environment differs from the worker's in JUNKDNA_EXTRA"),
        (job_env(**{client.SWITCH_ENV: "0"}), None),
        (job_env(SLURM_JOB_ID="123"), None),
        (job_env(**{client.SOCKET_ENV: str(tmp_path / "no-socket")}), None),
    ]
    for env, note in cases:
        done = subprocess.run(help_, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and "usage: python -m pipeline normalize" in done.stdout
        if note:
            assert f"worker: running in this process ({note})" in done.stderr
        else:
            assert "worker:" not in done.stderr
    assert served(log) == []  # every one ran in its own process


def test_no_worker_for_cluster_runs_or_when_switched_off(monkeypatch, tmp_path):
    """A non-local executor (SLURM), a SLURM job and JUNKDNA_WORKER=0 start none."""
    log = tmp_path / "worker.log"
    monkeypatch.delenv(client.SWITCH_ENV, raising=False)
    monkeypatch.delenv("SLURM_JOB_ID", raising=False)
    assert lifecycle.start(log, local=False) is None
    monkeypatch.setenv("SLURM_JOB_ID", "42")
    assert lifecycle.start(log) is None
    monkeypatch.delenv("SLURM_JOB_ID")
    monkeypatch.setenv(client.SWITCH_ENV, "0")
    assert lifecycle.start(log) is None
    assert not log.exists() and client.SOCKET_ENV not in os.environ


def test_the_worker_stops_when_idle_and_when_its_parent_is_gone(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop(client.SWITCH_ENV, None)
    # The parent starts a worker and dies without stopping it (a SIGKILLed Snakemake).
    orphaned = subprocess.run(
        [
            sys.executable,
            "-c",
            "from pipeline.worker import lifecycle;"
            f"lifecycle.start({str(tmp_path / 'orphan.log')!r});"
            "print(lifecycle._running[0][0].pid, flush=True); import os; os._exit(0)",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    idle = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from pipeline.worker import lifecycle;"
            f"lifecycle.start({str(tmp_path / 'idle.log')!r}, idle_s=1);"
            "lifecycle._running[0][0].wait()",
        ],
        env=env,
    )
    assert idle.wait(timeout=300) == 0
    assert "idle for 1 s; stopping" in (tmp_path / "idle.log").read_text()
    assert gone(int(orphaned.stdout.split()[0]), timeout=120)
    assert "parent gone; stopping" in (tmp_path / "orphan.log").read_text()


def test_a_local_snakemake_run_hands_its_jobs_to_one_worker(tmp_path, tiny_world):
    """The Snakefile's hooks start the worker, every job's command reaches it (nothing
    refused: the job environment Snakemake builds matches the worker's), and the worker is
    gone afterwards; rerunning the cell in its own process gives the same record."""
    from tests.conftest import tiny_study

    config = tiny_study(tmp_path / "results", [0.5], ["sparse"], [0], [1.0])
    (tmp_path / "config.yaml").write_text(json.dumps(config))
    metrics = tmp_path / (
        "results/runs/m/syn_sentiment/fraction-1/magnitude-0.5/sparse/seed0/metrics.json"
    )

    def snakemake(*args: str, **env: str) -> None:
        command = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile")]
        command += ["--directory", str(tmp_path), "--configfile", str(tmp_path / "config.yaml")]
        environ = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
        environ.pop(client.SWITCH_ENV, None)
        environ.update(env)
        environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environ['PATH']}"
        done = subprocess.run(
            [*command, "--cores", "2", *args, str(metrics)],
            env=environ,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr[-3000:]

    snakemake()
    log = tmp_path / "results/logs/worker.log"
    text = log.read_text()
    assert "refused" not in text, text
    verbs = sorted(verb for _, verb, outcome in served(log) if outcome == "exit 0")
    assert verbs == ["finetune", "make-world", "prune", "stage-model"], text
    assert text.rstrip().endswith("worker: stopped")  # onsuccess stopped it
    by_worker = json.loads(metrics.read_text())

    snakemake("--forcerun", str(metrics), **{client.SWITCH_ENV: "0"})
    alone = json.loads(metrics.read_text())
    assert log.read_text() == text  # no worker this time
    for record in (by_worker, alone):
        for timing in (record, record["training"]):
            for key in ("wall_time_s", "train_time_s", "steps_per_s"):
                timing.pop(key, None)
    assert by_worker == alone
