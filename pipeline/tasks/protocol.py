"""What every task provides, whatever its kind: the interface of a ``TASKS`` entry.

Tasks are frozen dataclasses of different shapes (classification, translation, QA, multiple
choice, cloze, arithmetic); the code around them (the fine-tuning run, the adapters, chance
levels, the data catalog) needs only these members, plus the kind-specific ones its adapter
reads (``text_fields``/``num_labels`` for classification, ``source_target``/``references``
for generation, ...; see pipeline/finetune/adapters/base.py). ``tests/test_registries.py``
holds every registry entry to this protocol.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, Self, runtime_checkable


@dataclass(frozen=True)
class Tokens:
    """Token lengths of one example of a hub task under its paper model's tokenizer: what
    the cost model sizes its jobs by (pipeline/cluster/walltime.py)."""

    mean: float  # one example (all its segments; per choice for multiple choice)
    p99: float
    choices: int = 1  # multiple choice: every choice is a sequence
    target: float = 0.0  # generation: teacher-forced target (training, loss)


@runtime_checkable
class Task(Protocol):
    name: str
    source: str  # "synthetic" (read from the world folder) or "hub" (a staged data set)
    kind: str  # picks the adapter: pipeline/finetune/adapters/__init__.py TASK_KINDS
    metrics: tuple[str, ...]  # names in pipeline/metrics.py; metrics[0] is the headline
    chance: str  # how the chance level is computed: pipeline/tasks/chance.py CHANCE_RULES
    difficulty_axes: tuple[str, ...]  # the AXIS of the difficulty labels it accepts
    human_score: float | None  # paper Table 1's human score as a fraction, or None
    label: str  # the name figures and tables print ("SST-2", "grammar")
    tokens: Tokens | None  # a hub task's example lengths (cost model); None: synthetic
    # The published split sizes of its one hub data set (the cost model's, until staged);
    # empty: synthetic, or several data sets (OPUS-100's pairs: slurm/staged_rows.yaml).
    rows: Mapping[str, int]

    @property
    def metric(self) -> str: ...

    def load_split(self, split: str, data_dir: Path | None) -> list[dict[str, Any]]:
        """Rows of ``split`` ("train" or "validation") in the data set's own schema."""
        ...

    def configure(self, difficulty: str, options: dict[str, Any]) -> Task:
        """The task at one difficulty label, with its setting's options."""
        ...

    def reference_score(self, world_dir: Path | None) -> float | None:
        """The score across-task difficulty is measured against (human or Bayes)."""
        ...

    def score(self, references: list, predictions: list) -> dict[str, float]:
        """Every metric of ``metrics`` on the evaluation outcomes."""
        ...

    def item_id(self, row: dict[str, Any]) -> str:
        """The knowledge item an evaluation row asks about (a fact, an adjective, an
        object, a source sentence; a hub row is its own item): what intervals resample.
        Never finer than the inputs: rows with identical inputs share an item."""
        ...


class MeasuredAcrossTasks:
    """The members of a hub task whose difficulty is measured across tasks, not set (the
    arithmetic and multiple-choice tasks): the same task at every level, its reference the
    paper's human score, its headline metric its first."""

    metrics: tuple[str, ...]
    human_score: float | None

    @property
    def metric(self) -> str:
        return self.metrics[0]

    def configure(self, difficulty: str, options: dict[str, Any]) -> Self:
        """The same task at every level (across-task difficulty is measured, not set)."""
        return self

    def reference_score(self, world_dir: Path | None) -> float | None:
        return self.human_score
