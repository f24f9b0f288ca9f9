"""How hard a difficulty level is, as a number that grows with difficulty.

A registry keyed by the difficulty axis (the part of a difficulty label before ``-``): each
entry maps the level string to its hardness. The claims about difficulty (b, c, e) only
need the order, so any increasing transform will do.
"""

from __future__ import annotations

from collections.abc import Callable

HARDNESS: dict[str, Callable[[str], float]] = {
    # Setting 1, data adequacy: less fine-tuning data is harder.
    "fraction": lambda level: -float(level),
}


def hardness(axis: str, level: str) -> float:
    """Hardness of one level; NaN when the axis has no known order (claims about difficulty
    then stay undecided for it rather than guessing)."""
    order = HARDNESS.get(axis)
    return float("nan") if order is None else float(order(level))
