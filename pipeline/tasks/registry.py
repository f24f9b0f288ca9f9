"""Registry of tasks: adding one is a new definition plus one line here."""

from __future__ import annotations

from pipeline.tasks.base import ClassificationTask
from pipeline.tasks.glue import MNLI, QNLI, SST2
from pipeline.tasks.synthetic import SYN_FACTCHECK, SYN_SENTIMENT

TASKS: dict[str, ClassificationTask] = {
    t.name: t for t in (SYN_SENTIMENT, SYN_FACTCHECK, SST2, QNLI, MNLI)
}


def get_task(name: str) -> ClassificationTask:
    try:
        return TASKS[name]
    except KeyError:
        raise ValueError(f"unknown task {name!r}; allowed: {sorted(TASKS)}")
