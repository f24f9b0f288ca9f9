"""Content hashes of a run's inputs: a checkpoint is resumed only by provably the same run.

Names are not enough: when an upstream output changes (a model re-staged with other
pre-training steps, a mask recomputed), the run's paths stay the same and a checkpoint of
the old inputs would be resumed. So the fine-tune fingerprint includes the hash of every
file the run reads (relative name, size, content).

Hashing a multi-GB hub model at every job start would cost minutes (and the first wave of
jobs would all hash the same 13.5 GB folder at once), so staging records the hash of what it
wrote in the folder's ``staged.json`` (:func:`record_hashes`), with the (name, size, mtime)
of every file; a job takes that hash while every file still matches its record (one ``stat``
per file). Other inputs cache their hash in a hidden sidecar beside them
(``.NAME.content-hash``), keyed by the (name, size, mtime, inode) of every file under them:
a rewritten or replaced file changes the key and the hash is computed again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path

from pipeline.io import write_json

SIDECAR_SUFFIX = ".content-hash"
STAGED = "staged.json"  # a staged folder's manifest (pipeline/data/stage.py, pipeline/staging)
_CHUNK = 1 << 20


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: input to fingerprint does not exist")
    # A sidecar of something inside the folder is a cache, not content.
    return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix != SIDECAR_SUFFIX)


def sidecar(path: str | os.PathLike) -> Path:
    path = Path(path)
    return path.with_name(f".{path.name}{SIDECAR_SUFFIX}")


def _stat_key(path: Path, files: list[Path]) -> str:
    listing = []
    for f in files:
        st = f.stat()
        listing.append(
            [
                f.relative_to(path).as_posix() if f != path else "",
                st.st_size,
                st.st_mtime_ns,
                st.st_ino,
            ]
        )
    return hashlib.sha256(json.dumps(listing).encode()).hexdigest()


def _content_hash(path: Path, files: list[Path]) -> str:
    digest = hashlib.sha256()
    for f in files:
        name = f.relative_to(path).as_posix() if f != path else ""
        digest.update(f"{name}\0{f.stat().st_size}\0".encode())
        with f.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


def _listing(path: Path, files: list[Path]) -> list[list]:
    return [[f.relative_to(path).as_posix(), f.stat().st_size, f.stat().st_mtime_ns] for f in files]


def record_hashes(folder: str | os.PathLike) -> dict:
    """What staging writes into ``staged.json`` under ``content_hashes``: the hash of every
    file of ``folder`` but the manifest, and each file's (name, size, mtime)."""
    folder = Path(folder)
    files = [f for f in _files(folder) if f.name != STAGED or f.parent != folder]
    return {"hash": _content_hash(folder, files), "files": _listing(folder, files)}


def _staged_hash(path: Path, files: list[Path]) -> str | None:
    """A staged folder's hash from its manifest, while every file matches the record."""
    manifest = path / STAGED
    if not path.is_dir() or not manifest.is_file():
        return None
    try:
        raw = manifest.read_bytes()
        record = json.loads(raw).get("content_hashes")
    except (OSError, ValueError, AttributeError):
        return None
    content = [f for f in files if f != manifest]
    if not isinstance(record, dict) or record.get("files") != _listing(path, content):
        return None
    return hashlib.sha256(
        f"{record['hash']}\0{hashlib.sha256(raw).hexdigest()}".encode()
    ).hexdigest()


def content_hash(path: str | os.PathLike) -> str:
    """The hash of every file under ``path`` (a file or a folder): the one staging recorded,
    else cached beside it."""
    path = Path(path)
    files = _files(path)
    staged = _staged_hash(path, files)
    if staged is not None:
        return staged
    key = _stat_key(path, files)
    cache = sidecar(path)
    try:
        cached = json.loads(cache.read_text())
        if cached.get("key") == key:
            return cached["hash"]
    except (OSError, ValueError, AttributeError):
        pass  # no cache yet, or a torn/foreign one: recompute
    value = _content_hash(path, files)
    # A read-only input (a shared model store) cannot keep a sidecar: hash it every time.
    with contextlib.suppress(OSError):
        write_json(cache, {"key": key, "hash": value})
    return value


def inputs_hash(*paths: str | os.PathLike | None) -> str:
    """One hash of the content of every given input (``None`` entries are skipped)."""
    hashes = [content_hash(p) for p in paths if p is not None]
    return hashlib.sha256("\n".join(hashes).encode()).hexdigest()
