"""A mistyped target path and an unsupported ``--sdm`` fail before any job, in one clear line
naming the wildcard (or option), the value and the allowed values: real ``snakemake -n`` runs
of the default study, and the lookups (pipeline/wildcards.py) on their own."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pipeline import paths, study
from pipeline.deployment import DeploymentError, check_deployment
from pipeline.wildcards import WildcardError, cell_setting, wildcard_value
from tests.conftest import default, snakemake_dry_run

REPO = Path(__file__).resolve().parents[1]
DEFAULT = default()
CELLS = study.cells(DEFAULT)
# A sparse-mode run of setting 1 (a data fraction) of the default study, and its folder.
RUN = next(c for c in CELLS if c.difficulty.startswith("fraction-") and c.mode == "sparse")
LEVELS = sorted({c.difficulty for c in CELLS if (c.model, c.task) == (RUN.model, RUN.task)})
# "fraction-1" typed as "fraction-1.0" (or "fraction-0.1" as "fraction-0.10")
TYPO = RUN.difficulty + ("0" if "." in RUN.difficulty else ".0")


def dry_run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return snakemake_dry_run(tmp_path, *args, "--config", f"results_dir={tmp_path / 'r'}")


def run_path(tmp_path: Path, **change: str) -> str:
    return str(tmp_path / "r" / paths.METRICS.format(**{**RUN.wildcards, **change}))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"difficulty": TYPO},
            f"WildcardError: wildcard 'difficulty' is '{TYPO}', which no cell of the study has "
            f"for {RUN.model}/{RUN.task}; allowed: {', '.join(LEVELS)}",
        ),
        (
            {"compression": RUN.compression.replace(RUN.compression.split("-")[0], "magnitud")},
            "WildcardError: wildcard 'method' is 'magnitud'; allowed: "
            + ", ".join(sorted(DEFAULT["compression"]["methods"])),
        ),
        (
            {"task": RUN.task + "x"},
            f"WildcardError: wildcard 'task' is '{RUN.task}x', which no cell of the study has "
            f"for {RUN.model}; allowed: ",
        ),
    ],
    ids=["difficulty", "method", "task"],
)
def test_mistyped_run_path_names_the_wildcard_and_the_allowed_values(tmp_path, change, expected):
    run = dry_run(tmp_path, run_path(tmp_path, **change))
    assert run.returncode != 0
    said = run.stdout + run.stderr
    assert expected in said, said[-3000:]
    assert "KeyError" not in said
    assert not (tmp_path / "r").exists()


def test_the_correct_path_plans(tmp_path):
    run = dry_run(tmp_path, run_path(tmp_path))
    assert run.returncode == 0, run.stderr[-2000:]
    assert "rule finetune:" in run.stdout


def test_apptainer_is_refused_at_start(tmp_path):
    run = dry_run(tmp_path, "all_figures", "--sdm", "apptainer")
    assert run.returncode != 0
    said = run.stdout + run.stderr
    assert (
        "DeploymentError in file" in said
        and "--software-deployment-method apptainer: no rule names a container image" in said
        and "allowed: conda" in said
    ), said[-2000:]
    assert "Building DAG" not in said  # refused before the DAG, so before any job


def test_cell_setting_names_the_first_unknown_part():
    setting_of = {("m", "t", "fraction-1"): "data_fraction", ("m", "u", "task-all"): "tasks"}
    assert cell_setting(setting_of, "m", "t", "fraction-1") == "data_fraction"
    with pytest.raises(WildcardError, match=r"^wildcard 'model' is 'n', .*; allowed: m$"):
        cell_setting(setting_of, "n", "t", "fraction-1")
    with pytest.raises(WildcardError, match=r"'task' is 'v', .* for m; allowed: t, u$"):
        cell_setting(setting_of, "m", "v", "fraction-1")
    with pytest.raises(WildcardError, match=r"for m/u; allowed: task-all$"):
        cell_setting(setting_of, "m", "u", "fraction-1")


def test_wildcard_value_and_deployment_check():
    assert wildcard_value("mode", "a", {"a": 1}) == 1
    with pytest.raises(WildcardError, match=r"^wildcard 'mode' is 'c'; allowed: a, b$"):
        wildcard_value("mode", "c", {"b": 2, "a": 1})
    check_deployment([])  # none: the environment snakemake runs in
    check_deployment(["CONDA"])
    with pytest.raises(DeploymentError, match="env_modules"):
        check_deployment(["ENV_MODULES"])
