"""The paper's Table 1 "Task Difficulty" row, reproduced from the paper config's model
scores and the tasks' own human scores."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from jsonschema import ValidationError, validate

from pipeline.analysis.printed_difficulty import printed_difficulty
from pipeline.study import Study
from pipeline.targets import table_targets
from pipeline.tasks.registry import get_task

REPO = Path(__file__).resolve().parents[1]
PAPER_ROW = {  # /work/shared/seeds/junk-dna-paper.txt, Table 1
    "sst2": 1.64,
    "cola": 2.26,
    "qqp": -14.18,
    "stsb": 0.54,
    "qnli": -3.51,
    "rte": 9.94,
    "winogrande": 16.91,
    "csqa": 18.99,
}


def test_reproduces_the_paper_row_to_two_decimals(paper_config):
    table = printed_difficulty(paper_config["reference_scores"])
    assert list(table["model"].unique()) == ["roberta_large"]
    assert list(table["task"]) == list(PAPER_ROW)  # the paper's column order
    assert dict(zip(table["task"], table["difficulty_pct"].round(2), strict=True)) == PAPER_ROW


def test_printed_difficulty_reads_the_human_scores_the_measured_difficulty_reads(paper_config):
    """The printed and the measured across-task difficulty use the same human scores: the
    tasks' (Nangia & Bowman, 2019, as the paper prints them)."""
    table = printed_difficulty(paper_config["reference_scores"])
    human = dict(zip(table["task"], table["human"], strict=True))
    assert human == {
        "sst2": 0.978,
        "cola": 0.664,
        "qqp": 0.804,
        "stsb": 0.927,
        "qnli": 0.912,
        "rte": 0.936,
        "winogrande": 0.940,
        "csqa": 0.890,
    }
    for task, score in human.items():
        assert get_task(task).reference_score(None) == score


def test_schema_takes_the_block_and_rejects_percent(paper_config):
    schema = yaml.safe_load((REPO / "pipeline/schemas/config.schema.yaml").read_text())
    block_schema = schema["properties"]["reference_scores"]
    validate(paper_config["reference_scores"], block_schema)
    with pytest.raises(ValidationError, match="96.2"):
        validate({"m": {"sst2": 96.2}}, block_schema)
    with pytest.raises(ValidationError, match="non-empty|minProperties|should have"):
        validate({}, block_schema)


@pytest.mark.parametrize(
    ("scores", "message"),
    [
        ({"human": {"sst2": 0.9}, "m": {"sst2": 0.9}}, "human scores are the tasks' own"),
        ({}, "no model block"),
        ({"m": {"sst2": 0.9, "mawps": 0.8}}, r"tasks \['mawps'\] have no human score"),
    ],
)
def test_bad_blocks_name_the_problem(scores, message):
    with pytest.raises(ValueError, match=message):
        printed_difficulty(scores)


def test_targeted_only_with_a_reference_block(paper_config):
    targets = table_targets(Study.from_config(paper_config))
    assert any(t.endswith("tables/printed_difficulty.csv") for t in targets)
    without = {k: v for k, v in paper_config.items() if k != "reference_scores"}
    assert not any("printed_difficulty" in t for t in table_targets(Study.from_config(without)))


def test_verb_writes_parquet_and_csv(tmp_path, paper_config):
    out = tmp_path / "t" / "printed_difficulty.parquet"
    csv = tmp_path / "t" / "printed_difficulty.csv"
    scores = json.dumps(paper_config["reference_scores"])
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline",
            "printed-difficulty",
            "--scores",
            scores,
            "--out",
            str(out),
            "--csv",
            str(csv),
        ],
        check=True,
        cwd=REPO,
        capture_output=True,
    )
    for frame in (pd.read_parquet(out), pd.read_csv(csv)):
        row = dict(zip(frame["task"], frame["difficulty_pct"].round(2), strict=True))
        assert row == PAPER_ROW
