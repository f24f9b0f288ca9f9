"""Published dev scores of the paper's models on its tasks: the dense baseline a paper-scale
run must reproduce (pipeline/analysis/gates.py, gate_published).

Keyed by the hub model's name (the hub id without its owner: ``roberta-large``) and task, in
the project's metric units (fractions of the headline metric: accuracy, MCC for CoLA,
Pearson for STS-B, matched accuracy for MNLI), each with its source. Tasks without a
published score of their model (MAWPS/SVAMP on BART, OPUS-100 on mBART, TriviaQA on
Vicuna) are left out: their dense runs are listed as unchecked.
"""

from __future__ import annotations

from typing import Any

TABLE_1 = "paper Table 1 (RoBERTa-Large dev)"
FAIRSEQ = "fairseq RoBERTa README, dev set"

PUBLISHED: dict[str, dict[str, tuple[float, str]]] = {
    "roberta-large": {
        "sst2": (0.962, TABLE_1),
        "cola": (0.649, TABLE_1),
        "qqp": (0.918, TABLE_1),
        "stsb": (0.922, TABLE_1),
        "qnli": (0.944, TABLE_1),
        "rte": (0.843, TABLE_1),
        "winogrande": (0.781, TABLE_1),
        "csqa": (0.721, TABLE_1),
        "mnli": (0.902, FAIRSEQ),  # not in Table 1
    },
    "roberta-base": {
        "sst2": (0.948, FAIRSEQ),
        "qnli": (0.928, FAIRSEQ),
        "mnli": (0.876, FAIRSEQ),
    },
}


def published_score(hub_id: str | None, task: str) -> tuple[float, str] | None:
    """(score, source) of the hub model ``hub_id`` on ``task``, or None if none is published."""
    if not hub_id:
        return None
    return PUBLISHED.get(hub_id.rsplit("/", 1)[-1].lower(), {}).get(task)


def staged_hub_id(staged_json: Any) -> str | None:
    """The hub id a run's ``model_staged_json`` names, if the run loaded that model as staged
    (a model trained further, ``continued_training``, is no longer the published one)."""
    import json

    if not isinstance(staged_json, str):
        return None
    staged = json.loads(staged_json)
    return None if "continued_training" in staged else staged.get("hub_id")
