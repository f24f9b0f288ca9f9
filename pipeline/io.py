"""Atomic file output: a job killed mid-write never leaves a half-written result behind.

An output is written to a hidden temporary sibling ``.NAME.<random>.tmp`` and renamed onto
``NAME`` only on success. The sibling is created with the permissions the user's umask
gives ordinary files and folders (``tempfile.mkstemp``/``mkdtemp`` would make every output
private, 0600/0700, unreadable by collaborators on a shared file system). A kill leaves the
sibling behind; the next job that writes ``NAME`` removes it (``remove_stale_temps``).
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# Reading lives in pipeline/load.py (errors that name the file); re-exported for writers'
# round trips.
from pipeline.load import read_json, read_jsonl  # noqa: F401

_TMP_SUFFIX = ".tmp"


def _temp_sibling(path: Path) -> Path:
    return path.with_name(f".{path.name}.{secrets.token_hex(6)}{_TMP_SUFFIX}")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def remove_stale_temps(path: str | os.PathLike) -> list[Path]:
    """Remove the temporary siblings an interrupted write of ``path`` left behind.

    Call it only from the job that owns ``path`` (Snakemake runs one at a time per output),
    never while another process may be writing it. Returns what was removed."""
    path = Path(path)
    if not path.parent.is_dir():
        return []
    stale = sorted(path.parent.glob(f".{glob.escape(path.name)}.*{_TMP_SUFFIX}"))
    for tmp in stale:
        _remove(tmp)
    return stale


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary sibling of ``path``; rename it onto ``path`` only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_sibling(path)
    # O_EXCL: a fresh name of our own; mode 0o666 minus the umask, like open(path, "w").
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary sibling directory; it replaces ``path`` only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_sibling(path)
    tmp.mkdir(mode=0o777)  # minus the umask, like mkdir(1)
    try:
        yield tmp
        if path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def write_json(path: str | os.PathLike, obj: Any) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n")


def write_jsonl(path: str | os.PathLike, rows: list[dict]) -> None:
    with atomic_path(path) as tmp, tmp.open("w") as fh:
        for row in rows:
            fh.write(json.dumps(row, sort_keys=True) + "\n")
