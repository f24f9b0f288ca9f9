"""One fine-tuning run, whole: the cell it computes, the files it reads and where it writes.

The workflow's rule writes a run's spec as one JSON argument of ``python -m pipeline
finetune`` (rules/finetune.smk); :func:`pipeline.finetune.run.run_cell` takes it. Its
fingerprint, the one identity of a run, decides both whether a checkpoint may be resumed
(pipeline/finetune/checkpoint.py) and whether a kept result may be restored instead of
training (pipeline/finetune/retain.py, which adds the code's version to it).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import re
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from pipeline.finetune.protocol import Protocol
from pipeline.fingerprint import inputs_hash
from pipeline.paths import budget_component


@dataclass(frozen=True)
class RunSpec:
    """A fine-tuning run. Fields above ``model_dir`` are what it computes (its identity);
    the input paths count by their content; the rest say where it writes and how fast it
    goes, which no result depends on."""

    # --- what the run computes (recorded in its row; a change is another run) ---
    study: str  # the study's name (config `study`), every row's `study`
    setting: str  # the difficulty setting the cell belongs to (pipeline/study.py)
    model_name: str  # the model (instance) name the row carries: tiny_roberta/p1
    task_name: str  # the task (listed below)
    difficulty: str  # AXIS-VALUE of the setting: fraction-0.25, lang-minority, task-all
    compression: str  # 'dense' or METHOD-LEVEL[+option=value...]
    mode_name: str  # the transfer mode (pipeline/finetune/modes)
    protocol: Protocol  # the fine-tuning recipe, the run's seed included
    task_options: dict[str, Any] = field(default_factory=dict)  # language groups, pivot
    subset: str = "random"  # how a data fraction picks its rows: random or first
    subset_seed: int = 0  # the draw of a random data fraction
    budget: float = 1.0  # the factor the protocol's steps were scaled by, recorded in the row
    device: str | None = None  # where the model runs; None: cuda if available, else cpu
    # --- what it reads: identified by content, never by path ---
    model_dir: Path | None = None  # staged model (mode ptq: the cell's dense fine-tuned one)
    world_dir: Path | None = None  # synthetic world, or staged data folder of hub tasks
    masks_path: Path | None = None  # the compression's mask file
    # --- where it writes and how fast it goes ---
    out: Path | None = None  # metrics.json: the run's one-row record
    examples_path: Path | None = None  # per-example outcomes (pipeline/examples.py)
    out_dir: Path | None = None  # fine-tuned weights, only for the runs a later job reads
    checkpoint_dir: Path | None = None  # resumable checkpoints (pipeline/finetune/checkpoint)
    checkpoint_minutes: float = 20.0  # wall-time minutes between checkpoints; 0 = never
    threads: int = 1  # torch CPU threads
    progress: bool = True  # a progress bar on stderr
    tracking: str = "none"  # the tracker backend (pipeline/finetune/tracking.py)
    tracking_dir: Path | None = None  # the tracker's folder

    @property
    def seed(self) -> int:
        return self.protocol.seed

    @property
    def run_path(self) -> str:
        """The run's place among the study's runs (the tracker's run name)."""
        run = f"{self.model_name}/{self.task_name}/{self.difficulty}/{self.compression}"
        return f"{run}/{self.mode_name}{budget_component(self.budget)}/seed{self.seed}"

    def identity(self) -> dict[str, Any]:
        """What the run computes, as JSON values: every field above the input paths."""
        values = {f.name: getattr(self, f.name) for f in fields(self)[:IDENTITY_FIELDS]}
        return values | {"protocol": self.protocol.to_dict()}

    def configured_task(self) -> Any:
        """The run's task, configured for its difficulty (pipeline/tasks)."""
        from pipeline.tasks.registry import get_task

        return get_task(self.task_name).configure(self.difficulty, self.task_options)

    def inputs(self) -> list[Path | None]:
        """The files the run reads, for its fingerprint: the model, the mask, and its task's
        own data (not a whole shared data folder: pipeline/data/provenance.py)."""
        from pipeline.data.provenance import task_inputs

        task = self.configured_task()
        return [self.model_dir, self.masks_path, *task_inputs(task, self.world_dir)]

    def fingerprint(self) -> str:
        """The run's identity and the content of what it reads: equal only for provably the
        same run (a re-staged model or a re-pruned mask changes it; a moved folder, an output
        path or a checkpoint interval does not)."""
        blob = json.dumps(
            {"identity": self.identity(), "inputs": inputs_hash(*self.inputs())},
            sort_keys=True,
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def to_json(self) -> str:
        """The spec as the verb's argument; unset (None) values are left out, as they read back
        as their defaults."""
        values = {k: v for k, v in asdict(self).items() if v is not None}
        protocol = {k: v for k, v in self.protocol.to_dict().items() if v is not None}
        return json.dumps(values | {"protocol": protocol}, default=str)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> RunSpec:
        """A spec from JSON values; an unknown or missing key is named with the allowed ones.
        With ``out`` given, the examples and the checkpoints default to files beside it."""
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(values) - set(known))
        required = [n for n, f in known.items() if _required(f)]
        missing = [n for n in required if n not in values]
        if unknown or missing:
            wrong = [
                f"{what} keys {keys}"
                for what, keys in (("unknown", unknown), ("missing", missing))
                if keys
            ]
            raise ValueError(f"finetune spec: {', '.join(wrong)}; allowed: {sorted(known)}")
        typed = {k: _typed(known[k], v) for k, v in values.items()}
        try:
            protocol = Protocol.from_dict(values["protocol"])
        except TypeError as err:  # a required protocol field is missing
            raise ValueError(f"finetune spec: protocol: {err}") from None
        spec = cls(**typed | {"protocol": protocol})
        if spec.out is None:
            return spec
        return replace(
            spec,
            examples_path=spec.examples_path or spec.out.with_name("examples.parquet"),
            checkpoint_dir=spec.checkpoint_dir or spec.out.parent / "checkpoint",
        )

    @classmethod
    def parse(cls, text: str) -> RunSpec:
        """A spec from its JSON text, or from the path of a file holding it."""
        source = text if text.lstrip().startswith("{") else Path(text).read_text()
        try:
            values = json.loads(source)
        except json.JSONDecodeError as err:
            raise ValueError(f"finetune spec: not JSON ({err})") from None
        if not isinstance(values, dict):
            raise ValueError("finetune spec: a JSON object is needed")
        return cls.from_dict(values)


def _required(f: Any) -> bool:
    return f.default is MISSING and f.default_factory is MISSING


def _typed(f: Any, value: Any) -> Any:
    """A path field's JSON string as a Path (the annotations are strings here)."""
    return Path(value) if value is not None and "Path" in str(f.type) else value


# The identity is the fields before the first input path (model_dir).
IDENTITY_FIELDS = [f.name for f in fields(RunSpec)].index("model_dir")


def describe_fields() -> str:
    """The spec's keys and what each holds, for ``python -m pipeline finetune --help``: read
    from the field comments of :class:`RunSpec` (by hand: a dataclass keeps no comments)."""
    notes = dict(re.findall(r"^    (\w+): [^#\n]*#\s*(.*)$", inspect.getsource(RunSpec), re.M))
    lines = ["spec keys (a JSON object; * required):"]
    for f in fields(RunSpec):
        mark = "*" if _required(f) else " "
        note = f": {notes[f.name]}" if f.name in notes else ""
        lines.append(f"  {mark} {f.name} ({f.type}){note}")
    return "\n".join(lines)
