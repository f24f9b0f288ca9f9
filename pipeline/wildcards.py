"""Clear errors for a requested path whose wildcards name nothing in the study.

A target typed by hand (``.../fraction-1.0/...`` for the study's ``fraction-1``, a method
``magnitud``) reaches the rules' input functions, where a bare dictionary lookup would fail
with ``KeyError: ('tiny_roberta', 'syn_grammar', 'fraction-1.0')``. These lookups name the
wildcard, its value and the values the study allows there instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

V = TypeVar("V")
CELL_WILDCARDS = ("model", "task", "difficulty")


class WildcardError(ValueError):
    """A path's wildcard value that the study does not have."""


def _allowed(values: Iterable[Any]) -> str:
    return ", ".join(sorted(str(v) for v in values)) or "none"


def wildcard_value(wildcard: str, value: str, known: Mapping[str, V]) -> V:
    """``known[value]``, or an error naming the wildcard, its value and the allowed ones."""
    if value not in known:
        raise WildcardError(f"wildcard '{wildcard}' is {value!r}; allowed: {_allowed(known)}")
    return known[value]


def cell_setting(setting_of: Mapping[tuple[str, str, str], str], model: str, task: str,
                 difficulty: str) -> str:  # fmt: skip
    """The setting of the cell (model, task, difficulty), or an error naming the first of
    them no cell of the study has (given the ones before it) and the values it could be."""
    cell = (model, task, difficulty)
    if cell in setting_of:
        return setting_of[cell]
    options = [{known[i] for known in setting_of if known[:i] == cell[:i]} for i in range(3)]
    i = next(i for i in range(3) if cell[i] not in options[i])  # the triple is unknown
    within = f" for {'/'.join(cell[:i])}" if i else ""
    raise WildcardError(
        f"wildcard '{CELL_WILDCARDS[i]}' is {cell[i]!r}, which no cell of the study has"
        f"{within}; allowed: {_allowed(options[i])}"
    )
