"""Zero-shot cloze fact recall (LAMA-style): a direct readout of what a masked LM knows.

Each knowledge-base fact becomes "ENTITY RELATION <mask>" in the pivot language; the
prediction is the top-1 candidate object at the mask (LAMA restricts to a candidate set; here
it is every object of the world). No fine-tuning: the pre-trained, compressed and scratch
models are read as they are (``zero_shot`` mode). The difficulty axis is how often the
corpus states the fact: ``freq-frequent`` / ``freq-rare`` (the median splits them), or
``freq-all``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pipeline.metrics import LABEL_METRICS
from pipeline.tasks.protocol import Tokens

FREQUENCIES = ("frequent", "rare", "all")
MASK = "[MASK]"  # the placeholder of the rows; the adapter puts the tokenizer's mask there


@dataclass(frozen=True)
class FactRecallTask:
    name: str
    source: str = "synthetic"  # the world's facts/ folder
    frequency: str = "all"
    kind: str = "cloze"
    chance: str = "majority"  # the most frequent object (pipeline/tasks/chance.py)
    metric: str = "accuracy"
    metrics: tuple[str, ...] = ("accuracy",)
    difficulty_axes: tuple[str, ...] = ("freq",)
    human_score: float | None = None
    tokens: Tokens | None = None  # a hub task's example lengths (cost model)
    rows: dict[str, int] = field(default_factory=dict, compare=False)  # published split sizes
    label: str = ""  # how figures and tables name the task ("SST-2", "grammar")

    def configure(self, difficulty: str, options: dict[str, Any]) -> FactRecallTask:
        frequency = difficulty.partition("-")[2]
        if frequency not in FREQUENCIES:
            raise ValueError(
                f"task {self.name}: frequency {frequency!r} is not one of {list(FREQUENCIES)}"
            )
        return replace(self, frequency=frequency)

    def reference_score(self, world_dir: Path | None) -> float | None:
        """Facts are noise-free: a model that knows the knowledge base scores 1."""
        return 1.0

    def load_split(self, split: str, world_dir: Path | None) -> list[dict[str, Any]]:
        if split != "validation":
            raise ValueError(
                f"task {self.name}: a zero-shot readout has only a validation split "
                f"(asked for {split!r}); run it in mode 'zero_shot'"
            )
        if world_dir is None:
            raise ValueError(f"task {self.name}: a synthetic task needs the world folder")
        import pyarrow.parquet as pq

        rows = pq.read_table(Path(world_dir) / "facts" / "validation.parquet").to_pylist()
        return [r for r in rows if self.frequency in ("all", r["frequency"])]

    def cloze(self, row: dict[str, Any]) -> tuple[str, list[str], str]:
        """(sentence with MASK, candidate objects, the true object)."""
        return row["masked_sentences"][0], list(row["candidates"]), row["obj_label"]

    def score(self, labels: list, preds: list) -> dict[str, float]:
        return {name: LABEL_METRICS[name](labels, preds) for name in self.metrics}

    def item_id(self, row: dict[str, Any]) -> str:
        """The fact (subject, relation) the cloze asks."""
        from pipeline.tasks.base import item_key

        return item_key([row["sub_label"], row["pred"]])


SYN_FACT_RECALL = FactRecallTask(name="syn_fact_recall", label="fact recall")
