"""What a figure prints for an identifier: every name comes from its registry (a task's
``label``, a difficulty axis's ``LEVEL_LABELS``, a transfer mode's ``label``, a compression
method's registry entry), so a reader never sees a path component such as ``fraction-0.1``.
"""

from __future__ import annotations

import math
from typing import Any

from pipeline.analysis.difficulty import ACROSS_TASKS, level_label
from pipeline.analysis.levels import compression_axis
from pipeline.compress.levels import describe
from pipeline.compress.registry import METHODS
from pipeline.finetune.modes import MODES
from pipeline.paths import DENSE, split_compression, split_difficulty
from pipeline.tasks.registry import TASKS


def task(name: str) -> str:
    entry = TASKS.get(name)
    return entry.label if entry is not None and entry.label else name


def level(difficulty: str) -> str:
    """``fraction-0.1`` -> ``10% data``; ``task-all`` -> ``whole task``."""
    return level_label(*split_difficulty(difficulty))


def where(task_name: str, difficulty: str) -> str:
    """One (task, level) as a reader names it: the task alone across tasks (the task is the
    level), else the task and its level."""
    if split_difficulty(difficulty)[0] == ACROSS_TASKS:
        return task(task_name)
    return f"{task(task_name)}, {level(difficulty)}"


def mode(name: str) -> str:
    entry = MODES.get(name)
    return entry.label if entry is not None else name


def method(name: str) -> str:
    """``magnitude_nm`` -> ``magnitude`` (its N:M structure is said apart); a matched
    random control -> ``random control``."""
    entry = METHODS.get(name)
    if entry is None:
        return name
    base = name.removesuffix("_nm").replace("_", " ")
    return f"{base} control" if entry.matches else base


def compressor(method_name: str, structure: str) -> str:
    """``magnitude, unstructured``; ``magnitude, N:M, M=4`` (the patterns are the x ticks)."""
    return f"{method(method_name)}, {structure}"


def compression(label: str) -> str:
    """``magnitude-0.5`` -> ``magnitude, 50% sparse``; N:M as its pattern; bits as bits;
    noise as its scale."""
    if label == DENSE:
        return "dense"
    method_name, level_id = split_compression(label)
    axis = compression_axis(method_name, level_id)
    if axis.kind == "quantization":
        return f"{method(method_name)}, {axis.x:g} bits"
    if axis.kind == "noise":
        return f"{method(method_name)}, {axis.x:g} x row std"
    if axis.structure.startswith("N:M"):
        return f"{method(method_name)}, N:M {pattern(level_id)}"
    return f"{method(method_name)}, {100 * axis.x:g}% sparse"


def setting(name: str) -> str:
    return name.replace("_", " ")


def pattern(level_id: str) -> str:
    """An N:M path level as the pattern it keeps: ``2of4`` -> ``2:4``."""
    meaning = describe("nm", level_id)
    return f"{meaning['n']}:{meaning['m']}"


def seeds(counts: Any, each: str = "") -> str:
    """``5 seeds`` or ``2–5 seeds`` (never ``5–5``), with ``each`` appended."""
    lo, hi = int(min(counts)), int(max(counts))
    span = f"{lo}" if lo == hi else f"{lo}–{hi}"
    tail = f" {each}" if each else ""
    return f"{span} seed{'s' if hi != 1 else ''}{tail}"


def marks(hardness: dict[Any, float]) -> dict[Any, str]:
    """``(easy)``/``(hard)`` for the easiest and hardest of two or more levels
    (``easiest``/``hardest`` among more than two); nothing where hardness is unknown."""
    known = {k: h for k, h in hardness.items() if h is not None and not math.isnan(h)}
    if len(known) < 2 or len(set(known.values())) < 2:
        return {}
    ordered = sorted(known, key=known.get)
    many = len(known) > 2
    return {
        ordered[0]: "easiest" if many else "easy",
        ordered[-1]: "hardest" if many else "hard",
    }


def ranked(frame: Any, column: str) -> dict[str, str]:
    """Names of the values of ``column`` ("task", "difficulty" or "where": setting/task/
    difficulty) with the easiest and hardest of each setting marked, and across tasks the
    measured gap to the reference score that ranks them: ``grammar (hardest, gap 34%)``.
    ``frame`` has the columns setting, task, difficulty and hardness."""
    return {
        value: f"{name} ({', '.join(notes)})" if notes else name
        for value, (name, notes) in ranked_parts(frame, column).items()
    }


def ranked_parts(frame: Any, column: str) -> dict[str, tuple[str, list[str]]]:
    """:func:`ranked`'s name and notes apart, for a tick label that stacks them."""
    out: dict[str, tuple[str, list[str]]] = {}
    for _, group in frame.groupby("setting", sort=False):
        hardness = group.groupby(column)["hardness"].first()
        rank = marks(hardness.to_dict())
        for _, row in group.drop_duplicates(column).iterrows():
            value = row[column]
            if column == "task":
                name = task(value)
            elif column == "difficulty":
                name = level(value)
            else:
                name = where(row["task"], row["difficulty"])
            notes = [rank[value]] if value in rank else []
            across = split_difficulty(row["difficulty"])[0] == ACROSS_TASKS
            if across and not math.isnan(row["hardness"]):
                notes.append(f"gap {100 * row['hardness']:.0f}%")
            out[value] = (name, notes)
    return out
