"""docs/extending.md, proven: a toy compression method with one option, a toy task and a
toy figure are each one new file plus their registry entry, a GLUE-style hub task (MRPC) is
one definition in tasks/glue.py plus its registry entry, and a real snakemake run of a tiny
study goes through all of them (stage the hub task's stand-in data, prune with the option,
fine-tune, evaluate, collect, normalize, draw the toy figure).

The test works on a copy of the workflow (pipeline/, Snakefile, rules/, ...), writes the
files there, adds the entries to the registries, and runs snakemake in that copy with the
copy first on PYTHONPATH; nothing else of the copy is edited (the test checks the diff): the
hub task's stand-in columns, token lengths, human score and chance rule come from its
definition alone.
"""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from tests.conftest import tiny_study

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.workflow

TOY_METHOD = '''"""Toy compression method (tests/test_extending.py): per-matrix magnitude
pruning that keeps the largest |w|, or with the option ``largest: false`` the smallest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Options:
    largest: bool = True  # keep the largest |w| (magnitude pruning), else the smallest


def prune(target: Any, sparsity: float) -> dict[str, Any]:
    import torch  # here, not at the top: the Snakefile reads Options from this module

    masks = {}
    for name, param in target.params.items():
        order = param.detach().abs().flatten().argsort(descending=not target.options.largest)
        keep = torch.ones(param.numel(), dtype=torch.bool)
        keep[order[: round(sparsity * param.numel())]] = False  # the first ones are pruned
        masks[name] = keep.view_as(param)
    return masks
'''
TOY_METHOD_ENTRY = (
    '        CompressionMethod("toy_prune", "sparsity", f"{_M}.toy_prune:prune", "toy: keep the '
    'largest or smallest |w| per matrix", options=f"{_M}.toy_prune:Options"),\n'
)
TOY_TASK = '''"""Toy task (tests/test_extending.py): the synthetic world's sentiment
sentences, labelled by whether they have an even number of words."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.tasks.base import ClassificationTask
from pipeline.tasks.synthetic import SYN_SENTIMENT


@dataclass(frozen=True)
class EvenLength(ClassificationTask):
    def load_split(self, split: str, world_dir: Path | None) -> list[dict[str, Any]]:
        rows = SYN_SENTIMENT.load_split(split, world_dir)
        return [{"sentence": r["sentence"], "label": len(r["sentence"].split()) % 2} for r in rows]


TOY_PARITY = EvenLength(
    name="toy_parity",
    text_fields=("sentence",),
    num_labels=2,
    metrics=("accuracy",),
    source="synthetic",
)
'''
TOY_TASK_IMPORT = "from pipeline.tasks.toy_parity import TOY_PARITY\n"
TOY_TASK_ENTRY = "        TOY_PARITY,\n"
# A GLUE task of the hub, defined as the others in pipeline/tasks/glue.py: its columns (the
# stand-in data follow them), example lengths and split sizes (the cost model prices its
# jobs before the data set is staged), human score (Table 1's reference; Nangia & Bowman's
# MRPC accuracy) and chance rule (the default, majority) are all here.
GLUE_TASK = """
MRPC = ClassificationTask(
    name="mrpc",
    label="MRPC",
    text_fields=("sentence1", "sentence2"),
    num_labels=2,
    metrics=("accuracy", "f1"),
    source="hub",
    hub_path=GLUE,
    hub_config="mrpc",
    tokens=Tokens(53, 103),  # illustrative lengths
    rows={"train": 3668, "validation": 408},
    human_score=0.804,
)
"""
GLUE_LIST = ("GLUE_TASKS = (SST2, COLA, QQP, STSB, QNLI, RTE, MNLI", ", MRPC")
GLUE_IMPORT = ("from pipeline.tasks.glue import COLA, MNLI, ", "MRPC, ")
GLUE_ENTRY = "        MRPC,\n"
TOY_FIGURE = '''"""Toy figure (tests/test_extending.py): each task's dense score as a bar."""

from __future__ import annotations

from typing import Any

from pipeline.figures.common import pyplot, require_rows
from pipeline.figures.planned import planned_rows
from pipeline.study import Study

NAME = "toy_dense"
TABLE = "normalized"
CAPTION = "Each task's dense score (mean over seeds) in its headline metric."


def rows(study: Study) -> Any:
    planned = planned_rows(study)
    return planned[planned["compression"] == "dense"] if len(planned) else planned


def data(normalized: Any, analysis: Any) -> Any:
    dense = normalized[normalized["compression"] == "dense"]
    return dense.groupby("task", as_index=False)["value"].mean()


def draw(normalized: Any, analysis: Any) -> Any:
    frame = data(normalized, analysis)
    require_rows(frame, NAME)
    fig, ax = pyplot().subplots(figsize=(4, 3))
    ax.bar(frame["task"], frame["value"])
    ax.set_ylabel("dense score")
    return fig
'''
TOY_FIGURE_IMPORT = (
    "from pipeline.figures import forest, lmc, measured_difficulty, safe_sparsity",
    ", toy_dense",
)
TOY_FIGURE_ENTRY = "        _from_module(toy_dense),\n"
COPIED = ("pipeline", "rules", "envs", "profiles", "report", "slurm", "Snakefile", "pyproject.toml")
LABEL = "toy_prune-0.5+largest=false"


def _insert_after(path: Path, anchor: str, line: str) -> None:
    text = path.read_text()
    assert anchor in text, f"{path}: {anchor!r}"
    path.write_text(text.replace(anchor, anchor + line, 1))


@pytest.fixture(scope="module")
def extended(tmp_path_factory) -> Path:
    """A copy of the workflow with the toy method, the toy task, the GLUE task and the toy
    figure added the documented way, and the hub stand-ins its code builds."""
    root = tmp_path_factory.mktemp("extended")
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, root / name)
    (root / "pipeline/compress/toy_prune.py").write_text(TOY_METHOD)
    (root / "pipeline/tasks/toy_parity.py").write_text(TOY_TASK)
    _insert_after(root / "pipeline/compress/registry.py", "    for m in (\n", TOY_METHOD_ENTRY)
    tasks = root / "pipeline/tasks/registry.py"
    _insert_after(
        tasks, "from pipeline.tasks.translation import OPUS100, SYN_TRANSLATION\n", TOY_TASK_IMPORT
    )
    _insert_after(tasks, "    for t in (\n", TOY_TASK_ENTRY)
    # The GLUE task: its definition (and its place in GLUE_TASKS) and its registry entry.
    glue = root / "pipeline/tasks/glue.py"
    _insert_after(glue, '    validation_split="validation_matched",\n)\n', GLUE_TASK)
    _insert_after(glue, *GLUE_LIST)
    _insert_after(tasks, *GLUE_IMPORT)
    _insert_after(tasks, "        RTE,\n", GLUE_ENTRY)
    # The figure: its module and its registry entry.
    (root / "pipeline/figures/toy_dense.py").write_text(TOY_FIGURE)
    _insert_after(root / "pipeline/figures/registry.py", *TOY_FIGURE_IMPORT)
    _insert_after(
        root / "pipeline/figures/registry.py", "        _from_module(forest),\n", TOY_FIGURE_ENTRY
    )
    # The hub's stand-in data sets, built by the copy's code: MRPC's from its definition.
    build = (
        "import sys, pathlib; from pipeline.data import standins; from pipeline.tasks import glue"
    )
    build += "; standins.build_datasets(pathlib.Path(sys.argv[1]), glue.GLUE_TASKS)"
    env = {**os.environ, "PYTHONPATH": str(root)}
    subprocess.run([sys.executable, "-c", build, "mirror"], check=True, env=env, cwd=root)
    return root


def _run(root: Path, config: dict, *args: str) -> subprocess.CompletedProcess:
    (root / "study.yaml").write_text(yaml.safe_dump(config))
    env = {
        **os.environ,
        "PYTHONPATH": str(root),  # the extended copy's pipeline wins over the checkout's
        "HF_HUB_OFFLINE": "1",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    command = [sys.executable, "-m", "snakemake", "--configfile", "study.yaml", "--cores", "2"]
    return subprocess.run(
        [*command, *args], cwd=root, capture_output=True, text=True, env=env, timeout=900
    )


def _config(root: Path, **options) -> dict:
    config = tiny_study(root / "results", [0.5], ["dense", "sparse"], [0], [1.0])
    config["settings"]["data_fraction"]["tasks"] = ["toy_parity", "mrpc"]
    config["datasets"] = {"nyu-mll/glue": {"revision": "UNPINNED"}}
    config["hub_mirror"] = str(root / "mirror")
    config["compression"] = {
        "methods": ["toy_prune"],
        "sparsities": [0.5],
        "options": {"toy_prune": options},
    }
    return config


def test_each_extension_is_at_most_three_files(extended):
    """A method, a task and a figure: one new file plus their registry entry each; a GLUE
    task: its definition in tasks/glue.py plus its registry entry. Nothing else changes."""
    added = {
        p.relative_to(extended).as_posix()
        for p in (extended / "pipeline").rglob("*.py")
        if not (REPO / p.relative_to(extended)).exists()
    }
    assert added == {
        "pipeline/compress/toy_prune.py",
        "pipeline/tasks/toy_parity.py",
        "pipeline/figures/toy_dense.py",
    }
    changed = {}
    for path in (extended / "pipeline").rglob("*.py"):
        original = REPO / path.relative_to(extended)
        if original.exists() and original.read_text() != path.read_text():
            diff = difflib.unified_diff(
                original.read_text().splitlines(), path.read_text().splitlines()
            )
            changed[path.relative_to(extended).as_posix()] = {
                line[1:] for line in diff if line[:1] == "+" and line[:3] != "+++" and line[1:]
            }
    glue_import = "from pipeline.tasks.glue import COLA, MNLI, MRPC, QNLI, QQP, RTE, SST2, STSB"
    assert changed == {
        "pipeline/compress/registry.py": {TOY_METHOD_ENTRY.rstrip("\n")},
        "pipeline/tasks/registry.py": {
            TOY_TASK_IMPORT.rstrip(),
            TOY_TASK_ENTRY.rstrip(),
            glue_import,
            GLUE_ENTRY.rstrip(),
        },
        "pipeline/tasks/glue.py": {
            *filter(None, GLUE_TASK.splitlines()),
            "".join(GLUE_LIST) + ")",
        },
        "pipeline/figures/registry.py": {
            "".join(TOY_FIGURE_IMPORT),
            TOY_FIGURE_ENTRY.rstrip(),
        },
    }
    # Files per extension: method 2, toy task 2, GLUE task 2, figure 2.
    touched = {
        "method": {"pipeline/compress/toy_prune.py", "pipeline/compress/registry.py"},
        "task": {"pipeline/tasks/toy_parity.py", "pipeline/tasks/registry.py"},
        "glue task": {"pipeline/tasks/glue.py", "pipeline/tasks/registry.py"},
        "figure": {"pipeline/figures/toy_dense.py", "pipeline/figures/registry.py"},
    }
    assert set().union(*touched.values()) == added | set(changed)
    assert all(len(files) <= 3 for files in touched.values())


def test_a_bad_option_fails_before_any_job_naming_the_key(extended):
    run = _run(extended, _config(extended, largest="no"), "-n", "all")
    assert run.returncode != 0
    said = run.stdout + run.stderr
    assert "options.toy_prune.largest'" in said and "boolean" in said, said[-2000:]


def test_the_toy_figure_is_planned_for_the_study(extended):
    run = _run(extended, _config(extended, largest=False), "-n", "all_figures")
    assert run.returncode == 0, run.stderr[-3000:]
    assert "figures/toy_dense.png" in run.stdout


def test_a_tiny_study_runs_through_the_toy_method_task_glue_task_and_figure(extended):
    config = _config(extended, largest=False)
    results = extended / "results"
    figure = results / "figures" / "toy_dense.png"
    run = _run(extended, config, f"{results}/tables/normalized.parquet", str(figure))
    assert run.returncode == 0, run.stderr[-3000:]
    # The option reached the prune job, the mask path and the report.
    folder = results / "masks" / "m" / LABEL
    report = yaml.safe_load((folder / "report.json").read_text())
    assert report["options"] == {"largest": False}
    assert report["achieved_sparsity"] == pytest.approx(0.5, abs=0.01)
    # ... and the method used it: every matrix kept its SMALLEST weights.
    import torch
    from transformers import AutoModel

    from pipeline.compress.masks import load_masks
    from pipeline.compress.prunable import prunable_parameters

    masks = load_masks(folder / "mask.npz")
    params = prunable_parameters(AutoModel.from_pretrained(str(results / "models" / "m")))
    assert set(masks) == set(params)
    for name, param in params.items():
        magnitude = param.detach().abs()
        kept, pruned = magnitude[masks[name]], magnitude[~masks[name]]
        assert kept.max() <= pruned.min(), name
        assert torch.count_nonzero(~masks[name]) == round(0.5 * param.numel())
    # Both tasks' runs are in the normalized table: dense and the toy compression.
    table = pq.read_table(results / "tables" / "normalized.parquet").to_pandas()
    assert set(table["task"]) == {"toy_parity", "mrpc"}
    assert set(table["compression"]) == {"dense", LABEL}
    for task in ("toy_parity", "mrpc"):
        sparse = table[(table["compression"] == LABEL) & (table["task"] == task)].iloc[0]
        assert sparse["method"] == "toy_prune" and sparse["mode"] == "sparse"
        assert 0.0 < sparse["normalized"] < 10.0
    # The GLUE task ran on its staged stand-in with the facts of its definition: its
    # columns, its headline metric, its human score as the reference, chance by majority.
    staged = pq.read_table(next((results / "data" / "nyu-mll__glue__mrpc").rglob("*.parquet")))
    assert {"sentence1", "sentence2", "label"} <= set(staged.column_names)
    mrpc = table[table["task"] == "mrpc"]
    assert set(mrpc["metric"]) == {"accuracy"}
    assert set(mrpc["reference_score"]) == {0.804}
    assert mrpc["chance"].between(0.5, 1.0).all()
    # The toy figure drew one bar per task from the same table.
    assert figure.stat().st_size > 0
    log = (results / "logs" / "figures" / "toy_dense.log").read_text()
    assert "toy_dense: 2 rows drawn" in log, log


def test_the_registry_checklist_holds_for_the_new_entries(extended):
    """tests/test_registries.py, run in the extended copy, passes for the toy entries."""
    (extended / "tests").mkdir(exist_ok=True)
    for name in ("conftest.py", "test_registries.py"):
        shutil.copy2(REPO / "tests" / name, extended / "tests" / name)
    env = {**os.environ, "PYTHONPATH": str(extended), "HF_HUB_OFFLINE": "1"}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "toy_"]
        + ["tests/test_registries.py", "--basetemp", str(extended / "pt")],
        cwd=extended,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:]
    assert "2 passed" in run.stdout, run.stdout[-2000:]
