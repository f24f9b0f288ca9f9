"""Content hashes of a run's inputs: a checkpoint is resumed only by provably the same run.

Names are not enough: when an upstream output changes (a model re-staged with other
pre-training steps, a mask recomputed), the run's paths stay the same and a checkpoint of
the old inputs would be resumed. So the fine-tune fingerprint includes the hash of every
file the run reads (relative name, size, content).

Hashing a multi-GB hub model at every job start would cost minutes, so each input's hash is
cached in a hidden sidecar beside it (``.NAME.content-hash``), keyed by the (name, size,
mtime, inode) of every file under it: a rewritten or replaced file changes the key and the
hash is computed again; an unchanged input costs one ``stat`` per file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path

from pipeline.io import write_json

SIDECAR_SUFFIX = ".content-hash"
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


def content_hash(path: str | os.PathLike) -> str:
    """The hash of every file under ``path`` (a file or a folder), cached beside it."""
    path = Path(path)
    files = _files(path)
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
