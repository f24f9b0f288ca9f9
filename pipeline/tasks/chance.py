"""Chance levels: the headline metric a predictor without knowledge of the inputs reaches
on the evaluation set, so scores can be judged against it (headroom gates, the
chance-corrected normalization (score - chance) / (dense - chance)).

Each task declares its rule in its registry entry (``chance``); the run computes the level
on its own evaluation rows with the task's own scorer, so it is in the metric's units:

- ``majority``: every example gets the evaluation set's most frequent label (accuracy:
  the majority class's share);
- ``zero``: the metric's value for an uninformative predictor is 0 by definition (MCC,
  Pearson, Spearman: a constant predictor has no correlation, and Pearson is undefined
  on it, so the value is declared rather than computed);
- ``shuffled_reference``: every example's prediction is the reference of another example
  with the same target language (rows' ``tgt``; a fixed-seed cyclic shift of a random
  order, so no example is given its own reference unless its language has one example):
  fluent text in the right language that does not translate the source;
- ``most_frequent_answer``: every example gets the evaluation set's most frequent first
  reference (QA answer, arithmetic result).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

SHUFFLE_SEED = 0


def _labels(task: Any, rows: list[dict]) -> list:
    if task.kind == "multiple_choice":
        return [task.choices(row)[2] for row in rows]
    return [row["label"] for row in rows]


def majority(task: Any, rows: list[dict]) -> float:
    labels = _labels(task, rows)
    most = Counter(labels).most_common(1)[0][0]
    return float(task.score(labels, [most] * len(labels))[task.metric])


def zero(task: Any, rows: list[dict]) -> float:
    return 0.0


def shuffled_predictions(task: Any, rows: list[dict]) -> list[str]:
    """Each row's prediction under ``shuffled_reference``: the first reference of another
    row with the same target language."""
    import numpy as np

    references = [task.references(row)[0] for row in rows]
    groups: dict[Any, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        groups[row.get("tgt")].append(i)
    rng = np.random.default_rng(SHUFFLE_SEED)
    predictions = [""] * len(rows)
    for members in groups.values():
        order = [members[j] for j in rng.permutation(len(members))]
        for i, donor in zip(order, order[1:] + order[:1], strict=True):
            predictions[i] = references[donor]
    return predictions


def shuffled_reference(task: Any, rows: list[dict]) -> float:
    references = [task.references(row) for row in rows]
    return float(task.score(references, shuffled_predictions(task, rows))[task.metric])


def most_frequent_answer(task: Any, rows: list[dict]) -> float:
    references = [task.references(row) for row in rows]
    most = Counter(r[0] for r in references).most_common(1)[0][0]
    return float(task.score(references, [most] * len(rows))[task.metric])


CHANCE_RULES: dict[str, Callable[[Any, list[dict]], float]] = {
    "majority": majority,
    "zero": zero,
    "shuffled_reference": shuffled_reference,
    "most_frequent_answer": most_frequent_answer,
}


def chance_level(task: Any, rows: list[dict]) -> float:
    """The task's chance level on its evaluation ``rows`` by the rule it declares."""
    try:
        rule = CHANCE_RULES[task.chance]
    except KeyError:
        raise ValueError(
            f"task {task.name}: chance rule {task.chance!r} is not one of {sorted(CHANCE_RULES)}"
        ) from None
    if not rows:
        raise ValueError(f"task {task.name}: no evaluation rows to compute chance on")
    return rule(task, rows)
