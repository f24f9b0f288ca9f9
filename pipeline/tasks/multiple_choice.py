"""Commonsense reasoning tasks (paper Table 1): WinoGrande and CommonsenseQA, scored by
accuracy; solved by a multiple-choice head (pipeline/finetune/adapters/multiple_choice.py).

Every row becomes a context, one ending per choice and the index of the right one. Hub
schemas (parquet, ``datasets.load_dataset``):

- ``allenai/winogrande``, config ``winogrande_xl``: ``sentence`` with one ``_`` blank,
  ``option1``, ``option2``, ``answer`` ("1" or "2"). The context is the sentence up to the
  blank; an ending is an option followed by the rest of the sentence.
- ``tau/commonsense_qa``: ``question``, ``choices`` = {``label``: [A..E], ``text``: [...]},
  ``answerKey`` (one of the labels). The context is the question; an ending is a choice.

Both score on their public validation split (the test splits carry no answers).
``human_score`` is the paper's Table 1 human accuracy as a fraction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.metrics import LABEL_METRICS
from pipeline.tasks.protocol import MeasuredAcrossTasks, Tokens


def winogrande_choices(row: dict[str, Any]) -> tuple[str, list[str], int]:
    before, blank, after = row["sentence"].partition("_")
    if not blank:
        raise ValueError(f"winogrande row without a '_' blank: {row['sentence']!r}")
    endings = [f"{row[o]}{after}" for o in ("option1", "option2")]
    return before.rstrip(), endings, int(row["answer"]) - 1


def csqa_choices(row: dict[str, Any]) -> tuple[str, list[str], int]:
    labels = list(row["choices"]["label"])
    if row["answerKey"] not in labels:
        raise ValueError(f"csqa answerKey {row['answerKey']!r} is not one of {labels}")
    return row["question"], list(row["choices"]["text"]), labels.index(row["answerKey"])


CHOICES = {"winogrande": winogrande_choices, "csqa": csqa_choices}


@dataclass(frozen=True)
class MultipleChoiceTask(MeasuredAcrossTasks):
    """Pick one of ``num_choices`` endings for a context."""

    name: str
    num_choices: int
    hub_path: str
    hub_config: str | None = None
    validation_split: str = "validation"
    human_score: float | None = None  # fraction, paper Table 1
    tokens: Tokens | None = None  # a hub task's example lengths (cost model)
    rows: dict[str, int] = field(default_factory=dict, compare=False)  # published split sizes
    source: str = "hub"
    kind: str = "multiple_choice"
    metrics: tuple[str, ...] = ("accuracy",)
    difficulty_axes: tuple[str, ...] = ("task",)
    chance: str = "majority"  # pipeline/tasks/chance.py
    label: str = ""  # how figures and tables name the task ("SST-2", "grammar")

    def choices(self, row: dict[str, Any]) -> tuple[str, list[str], int]:
        """(context, one ending per choice, index of the right ending) of one row."""
        context, endings, label = CHOICES[self.name](row)
        if len(endings) != self.num_choices:
            raise ValueError(
                f"task {self.name}: a row has {len(endings)} choices, expected {self.num_choices}"
            )
        return context, endings, label

    def load_split(self, split: str, data_dir: Path | None) -> list[dict[str, Any]]:
        """Rows of ``split`` ("train" or "validation") of the staged data (hub schema)."""
        from pipeline.data.staged import read_staged

        if split == "validation":
            split = self.validation_split
        return read_staged(data_dir, self.hub_path, self.hub_config, split)

    def score(self, labels: list, preds: list) -> dict[str, float]:
        return {name: LABEL_METRICS[name](labels, preds) for name in self.metrics}

    def item_id(self, row: dict[str, Any]) -> str:
        """The row itself (its context and endings)."""
        from pipeline.tasks.base import item_key

        context, endings, _ = self.choices(row)
        return item_key([context, *endings])


WINOGRANDE = MultipleChoiceTask(
    name="winogrande",
    label="WinoGrande",
    num_choices=2,
    hub_path="allenai/winogrande",
    hub_config="winogrande_xl",
    human_score=0.940,
    tokens=Tokens(30, 50, choices=2),  # WinoGrande-xl, RoBERTa BPE, per choice
    rows={"train": 40398, "validation": 1267},  # the data set card
)
CSQA = MultipleChoiceTask(
    name="csqa",
    label="CSQA",
    num_choices=5,
    hub_path="tau/commonsense_qa",
    human_score=0.890,
    tokens=Tokens(25, 45, choices=5),  # CommonsenseQA, RoBERTa BPE, per choice
    rows={"train": 9741, "validation": 1221},
)
