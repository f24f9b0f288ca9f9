"""Registry of tasks: adding one is a new definition plus one line here."""

from __future__ import annotations

from pipeline.tasks.arithmetic import MAWPS, SVAMP
from pipeline.tasks.fact_recall import SYN_FACT_RECALL
from pipeline.tasks.glue import COLA, MNLI, QNLI, QQP, RTE, SST2, STSB
from pipeline.tasks.multiple_choice import CSQA, WINOGRANDE
from pipeline.tasks.protocol import Task
from pipeline.tasks.qa import SYN_TRIVIAQA, TRIVIAQA
from pipeline.tasks.synthetic import (
    SYN_FACTCHECK,
    SYN_GRAMMAR,
    SYN_PARAPHRASE,
    SYN_RTE,
    SYN_SENTIMENT,
    SYN_SIMILARITY,
    SYN_XFACTCHECK,
)
from pipeline.tasks.translation import OPUS100, SYN_TRANSLATION

TASKS: dict[str, Task] = {
    t.name: t
    for t in (
        SYN_SENTIMENT,
        SYN_GRAMMAR,
        SYN_PARAPHRASE,
        SYN_SIMILARITY,
        SYN_FACTCHECK,
        SYN_XFACTCHECK,
        SYN_RTE,
        SYN_TRANSLATION,
        SYN_TRIVIAQA,
        SYN_FACT_RECALL,
        SST2,
        QNLI,
        MNLI,
        OPUS100,
        TRIVIAQA,
        COLA,
        QQP,
        STSB,
        RTE,
        WINOGRANDE,
        CSQA,
        MAWPS,
        SVAMP,
    )
}


def get_task(name: str) -> Task:
    try:
        return TASKS[name]
    except KeyError:
        raise ValueError(f"unknown task {name!r}; allowed: {sorted(TASKS)}") from None
