"""The choices a verb's ``--help`` lists, read from the registries: a new method, mode, task,
setting or model source shows up in the help by its registry line alone."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from pipeline.compress.levels import PATH_SYNTAX
from pipeline.compress.registry import METHODS
from pipeline.finetune.modes import MODES
from pipeline.models.architectures import ARCHITECTURES
from pipeline.models.sources import SOURCES
from pipeline.study import SETTINGS
from pipeline.tasks.registry import TASKS


def _first_sentence(text: str | None) -> str:
    words = " ".join((text or "").split())
    return words.split(". ")[0].removesuffix(".")


def _table(title: str, rows: list[tuple[str, str]]) -> str:
    width = max(len(name) for name, _ in rows)
    return "\n".join([title, *(f"  {name:<{width}}  {what}" for name, what in rows)])


def methods() -> str:
    """Each compression method with its path-level syntax and its own options."""
    rows = []
    for name, method in METHODS.items():
        options = ", ".join(
            f"{f.name}={f.default!r}" for f in dataclasses.fields(method.options_class)
        )
        extra = f" (options: {options})" if options else ""
        rows.append((name, f"[{method.level_kind}] {method.description}{extra}"))
    return "\n\n".join(
        [
            _table("compression methods (pipeline/compress/registry.py), [level kind]:", rows),
            _table("path level of each kind:", list(PATH_SYNTAX.items())),
        ]
    )


def modes() -> str:
    rows = [(name, mode.description) for name, mode in MODES.items()]
    return _table("transfer modes (pipeline/finetune/modes/__init__.py):", rows)


def tasks() -> str:
    rows = [
        (name, f"{task.source}, {task.kind}, difficulty by {'/'.join(task.difficulty_axes)}")
        for name, task in TASKS.items()
    ]
    return _table("tasks (pipeline/tasks/registry.py):", rows)


def sources() -> str:
    rows = [(name, _first_sentence(stage.__doc__)) for name, stage in SOURCES.items()]
    archs = [
        (name, f"{a.config_class}, objective {a.objective}") for name, a in ARCHITECTURES.items()
    ]
    return "\n\n".join(
        [
            _table("model sources (pipeline/models/sources.py), the spec's 'source':", rows),
            _table("architectures (pipeline/models/architectures.py), the spec's 'arch':", archs),
        ]
    )


def settings() -> str:
    rows = [(name, _first_sentence(expand.__doc__)) for name, expand in SETTINGS.items()]
    return _table("settings (pipeline/study.py SETTINGS), their difficulty labels:", rows)


def add_task_arguments(p: argparse.ArgumentParser) -> None:
    """``--task`` (the registered tasks listed in the epilog) and the folder its rows come
    from (``--world``, alias ``--data``)."""
    p.epilog = tasks()
    p.add_argument("--task", required=True, metavar="TASK", help="task (listed below)")
    p.add_argument(
        "--world",
        "--data",
        dest="world",
        type=Path,
        help="synthetic world folder (synthetic tasks) or staged data folder (hub tasks)",
    )
