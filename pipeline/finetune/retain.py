"""A finished cell's result survives the failure of its pack.

The slurm profile packs several fine-tunes into one SLURM job. When one member fails,
Snakemake deletes the outputs of every member ("might be corrupted") and the retry runs them
all again; the checkpoints are gone too (removed on success). So on success the run folder's
outputs (metrics.json, the fine-tuned model, any other per-run file) are also kept in a
``done`` folder beside them, with the run's fingerprint. A rerun with the same fingerprint
(same run spec, same input content) puts them back instead of training.

Kept files are hard links (a copy where the file system has none), so ``done`` costs no
space while the outputs exist. It is removed (``sweep``) once the pack has succeeded: at the
start of every fine-tune for packs whose ``temp()`` model Snakemake has deleted, and for all
finished packs when the workflow ends (the Snakefile's one ``onsuccess``/``onerror``: Snakemake
keeps only the last handler registered, so every end-of-workflow cleanup lives there). A kept
result is for the retry of the pack that kept it, never for a later run of other code: the
fingerprint holds the version of the code (a hash of the ``pipeline`` package's sources).

Every instance holds the run folder's lock (``pipeline.finetune.lock``): a second instance of
a running cell waits, then restores what the first one kept.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pipeline
from pipeline.finetune.lock import LOCK_FILE, exclusive
from pipeline.io import read_json, write_json

DONE = "done"
STAMP = "fingerprint.json"
NOT_OUTPUTS = {DONE, f"{DONE}.partial", "checkpoint", LOCK_FILE}


@cache
def code_version(root: Path | None = None) -> str:
    """A hash of every source file of the ``pipeline`` package (names and content): a fix to
    the trainer, an adapter or a metric changes it. Hashed rather than read from git, so it
    also holds in an installed copy or a conda job without the repository."""
    root = root or Path(pipeline.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def fingerprint(run: str) -> str:
    """What a kept result must match to be restored: the run's own fingerprint (its spec and
    the content of every input: pipeline/finetune/spec.py) and the code's version, so a
    re-staged model, a re-pruned mask or a fixed trainer trains anew."""
    blob = json.dumps({"run": run, "code": code_version()}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:  # no hard links across file systems (or on this one)
        shutil.copy2(src, dst)


def _place(src: Path, dst: Path) -> None:
    """``src`` (file or folder) to ``dst``, appearing complete or not at all."""
    tmp = dst.with_name(f".{dst.name}.restoring")
    if tmp.is_dir():
        shutil.rmtree(tmp)
    else:
        tmp.unlink(missing_ok=True)
    if src.is_dir():
        shutil.copytree(src, tmp, copy_function=_link_or_copy)
    else:
        _link_or_copy(str(src), str(tmp))
    if dst.is_dir():  # a folder is not replaced by a rename: move the old one aside first
        old = dst.with_name(f".{dst.name}.replaced")
        shutil.rmtree(old, ignore_errors=True)
        dst.rename(old)
        os.replace(tmp, dst)
        shutil.rmtree(old)
    else:
        os.replace(tmp, dst)


def _outputs(run_dir: Path) -> list[Path]:
    return sorted(p for p in run_dir.iterdir() if p.name not in NOT_OUTPUTS and p.name[0] != ".")


def keep(run_dir: Path, fingerprint: str) -> None:
    """Keep the run folder's outputs in ``done`` with ``fingerprint`` (atomically)."""
    partial = run_dir / f"{DONE}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    for out in _outputs(run_dir):
        _place(out, partial / out.name)
    write_json(partial / STAMP, {"fingerprint": fingerprint})
    shutil.rmtree(run_dir / DONE, ignore_errors=True)
    partial.rename(run_dir / DONE)


def restore(run_dir: Path, fingerprint: str, record: Path) -> bool:
    """Put back the outputs kept for ``fingerprint``; False (and a stale ``done`` removed) if
    there are none. ``record`` is restored last, so its presence means the restore is whole."""
    done = run_dir / DONE
    if not (done / STAMP).is_file():
        return False
    if read_json(done / STAMP).get("fingerprint") != fingerprint:
        print(f"retain: discarding {done} (another protocol or other inputs)", flush=True)
        shutil.rmtree(done)
        return False
    kept = sorted(
        (p for p in done.iterdir() if p.name != STAMP), key=lambda p: p.name == record.name
    )
    for item in kept:
        _place(item, run_dir / item.name)
    return True


def sweep(runs: Path, finished: bool = False) -> None:
    """Remove the ``done`` folders under ``runs`` (the workflow's runs/ folder) whose pack has
    succeeded: the record is present and some kept output is gone (Snakemake deletes temp
    outputs only after success), or, with ``finished`` (the workflow has ended, every pack
    is over), the record is present. Cells in use by another instance are left alone."""
    # Any depth: a larger-budget run sits one folder deeper (.../<mode>/budget-4x/seed<s>).
    for done in runs.glob(f"**/seed*/{DONE}"):
        run_dir = done.parent
        kept = {p.name for p in done.iterdir() if p.name != STAMP}
        present = {p.name for p in run_dir.iterdir()}
        if "metrics.json" in present and (finished or not kept <= present):
            with exclusive(run_dir, wait=False) as held:
                if held:
                    shutil.rmtree(done, ignore_errors=True)


def run_once(run_dir: Path, record: Path, fingerprint: str, train: Callable[[], Any]) -> bool:
    """Under the run folder's lock, restore the kept result or ``train()`` and keep what it
    wrote. Returns True when the result was restored. Multi-process runs (``accelerate
    launch``) train unguarded: the profile gives every fine-tune one GPU, and one lock per
    rank would deadlock."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        train()
        return False
    run_dir.mkdir(parents=True, exist_ok=True)
    runs = next((p for p in run_dir.parents if p.name == "runs"), None)  # the workflow's layout
    if runs is not None:
        sweep(runs)
    with exclusive(run_dir):
        if restore(run_dir, fingerprint, record):
            print(f"retain: restored the result kept in {run_dir / DONE}; not training", flush=True)
            return True
        train()
        if record.is_file():
            keep(run_dir, fingerprint)
    return False
