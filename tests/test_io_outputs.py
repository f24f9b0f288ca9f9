"""Atomic outputs get the umask's permissions, and a killed write's debris is removed by the
next job that writes the same output."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.fingerprint import content_hash, sidecar
from pipeline.io import atomic_dir, atomic_path, remove_stale_temps, write_json

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def umask():
    saved = os.umask(0o022)
    yield lambda mask: os.umask(mask)
    os.umask(saved)


@pytest.mark.parametrize(
    ("mask", "file_mode", "dir_mode"), [(0o022, 0o644, 0o755), (0o002, 0o664, 0o775)]
)
def test_outputs_get_the_umask_permissions(umask, tmp_path, mask, file_mode, dir_mode):
    umask(mask)
    write_json(tmp_path / "record.json", {"a": 1})
    with atomic_dir(tmp_path / "model") as tmp:
        (tmp / "config.json").write_text("{}")
    assert stat.S_IMODE((tmp_path / "record.json").stat().st_mode) == file_mode
    assert stat.S_IMODE((tmp_path / "model").stat().st_mode) == dir_mode
    assert stat.S_IMODE((tmp_path / "model" / "config.json").stat().st_mode) == file_mode


def test_a_failed_write_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "x.json") as tmp:
        tmp.write_text("half")
        raise RuntimeError
    assert list(tmp_path.iterdir()) == []


def test_stale_temps_of_one_output_are_removed_and_no_others(tmp_path):
    out = tmp_path / "mask.npz"
    stale = [tmp_path / ".mask.npz.a1b2.tmp", tmp_path / ".mask.npz.c3d4.tmp"]
    stale[0].write_text("torn")
    stale[1].mkdir()
    (stale[1] / "weights.bin").write_text("torn")
    others = [tmp_path / ".other.npz.e5f6.tmp", tmp_path / "mask.npz.tmp"]
    for path in others:
        path.write_text("keep")
    assert remove_stale_temps(out) == stale
    assert sorted(tmp_path.iterdir()) == sorted(others)


def test_a_verb_removes_the_debris_of_its_outputs_when_it_starts(tmp_path):
    """A kill during `collect`'s atomic write left a hidden sibling; the rerun removes it."""
    table = tmp_path / "tables" / "results.parquet"
    table.parent.mkdir()
    debris = table.with_name(".results.parquet.0badc0ffee00.tmp")
    debris.write_bytes(b"PAR1 torn")
    record = tmp_path / "missing.json"
    run = subprocess.run(
        [sys.executable, "-m", "pipeline", "collect", "--out", str(table), str(record)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert not debris.exists(), run.stderr
    assert f"removed the temporary {debris}" in run.stderr


def test_content_hash_is_cached_beside_the_input_and_follows_its_content(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text('{"hidden_size": 16}')
    first = content_hash(model)
    assert json.loads(sidecar(model).read_text())["hash"] == first
    (model / "config.json").write_text('{"hidden_size": 16}')  # same bytes, new mtime
    assert content_hash(model) == first
    (model / "config.json").write_text('{"hidden_size": 32}')  # same size, other content
    assert content_hash(model) != first
    # A forged cache with the right key is what a stat-only check would trust: the key is
    # the stat listing, so the cache is used exactly while nothing under the folder changed.
    cached = json.loads(sidecar(model).read_text())
    sidecar(model).write_text(json.dumps({**cached, "hash": "forged"}))
    assert content_hash(model) == "forged"
    os.utime(model / "config.json", ns=(1, 1))
    assert content_hash(model) != "forged"
