"""The task interface and the shared data-loading path for synthetic and hub data."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.metrics import LABEL_METRICS
from pipeline.tasks.protocol import Tokens


@dataclass(frozen=True)
class ClassificationTask:
    """A GLUE-style sentence (pair) classification or regression task.

    ``source`` is ``synthetic`` (a task of the synthetic world, read from the world folder)
    or ``hub`` (a hub data set: ``hub_path``/``hub_config``; paper config only).
    ``metrics`` are all reported; ``metrics[0]`` is the headline metric.
    """

    name: str
    text_fields: tuple[str, ...]
    num_labels: int  # 1 = regression
    metrics: tuple[str, ...]
    source: str
    difficulty_axes: tuple[str, ...] = ("fraction",)
    hub_path: str | None = None
    hub_config: str | None = None
    validation_split: str = "validation"
    human_score: float | None = None  # paper Table 1 reference, as a fraction (0.978)
    chance: str = "majority"  # how the chance level is computed (pipeline/tasks/chance.py)
    label: str = ""  # how figures and tables name the task ("SST-2", "grammar")
    # The row fields that name a row's knowledge item (a synthetic row's fact, adjective or
    # object); empty: the row's inputs, its text fields (a hub row is its own item).
    item: tuple[str, ...] = ()
    tokens: Tokens | None = None  # a hub task's example lengths (RoBERTa BPE: cost model)
    rows: dict[str, int] = field(default_factory=dict, compare=False)  # published split sizes

    @property
    def kind(self) -> str:
        return "regression" if self.num_labels == 1 else "classification"

    @property
    def metric(self) -> str:
        return self.metrics[0]

    def load_split(self, split: str, world_dir: Path | None) -> list[dict[str, Any]]:
        """Rows of ``split`` ("train" or "validation") in the data set's own schema."""
        if split == "validation":
            split = self.validation_split
        if self.source == "synthetic":
            import pyarrow.parquet as pq

            if world_dir is None:
                raise ValueError(f"task {self.name}: a synthetic task needs the world folder")
            return pq.read_table(
                Path(world_dir) / "tasks" / self.name / f"{split}.parquet"
            ).to_pylist()
        from pipeline.data.staged import read_staged

        return read_staged(world_dir, self.hub_path, self.hub_config, split)

    def configure(self, difficulty: str, options: dict[str, Any]) -> ClassificationTask:
        """The task at one difficulty level: data fractions are chosen by the fine-tuning
        run, so a classification task is the same at every level."""
        return self

    def reference_score(self, world_dir: Path | None) -> float | None:
        """The score difficulty is measured against (paper Table 1): the human score for a
        hub task, the Bayes-optimal score (noisy vs clean labels) for a synthetic one."""
        if self.source != "synthetic":
            return self.human_score
        from pipeline.io import read_json

        meta = read_json(Path(world_dir) / "world.json")["tasks"].get(self.name, {})
        return meta.get("reference", {}).get(self.metric)

    def score(self, labels: list, preds: list) -> dict[str, float]:
        return {name: LABEL_METRICS[name](labels, preds) for name in self.metrics}

    def item_id(self, row: dict[str, Any]) -> str:
        return item_key(row[f] for f in self.item or self.text_fields)


def item_key(parts: Any) -> str:
    """One item id of its parts: a single part as itself, several as a JSON list (so that
    different parts never join alike)."""
    import json

    parts = [str(p) for p in parts]
    return parts[0] if len(parts) == 1 else json.dumps(parts, ensure_ascii=False)
