"""Staging leaves compute jobs nothing to redo: capped train rows (a seeded sample, counted
in the manifest), .bin shards converted to safetensors, and content hashes recorded so a job
never hashes a staged folder again."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pipeline import fingerprint
from pipeline.data import standins
from pipeline.data.stage import sample_indices, stage_dataset


@pytest.fixture(scope="module")
def opus_mirror(tmp_path_factory):
    mirror = tmp_path_factory.mktemp("mirror")
    rng = np.random.default_rng(0)
    standins._write_repo(
        mirror / "Helsinki-NLP/opus-100",
        standins.opus100(rng, ["my"], {"train": 50, "validation": 8}),
        "{config}/{split}-00000-of-00001.parquet",
    )
    return mirror


def stage(mirror, out, cap):
    spec = {
        "hub_id": "Helsinki-NLP/opus-100",
        "config": "en-my",
        "splits": {"validation": None, "train": None},
        "sample": {"train": cap} if cap else {},
        "sample_seed": 0,
        "revision": "UNPINNED",
        "hub_mirror": str(mirror),
    }
    out.mkdir()
    return stage_dataset(spec, out)


def test_a_cap_stages_a_seeded_sample_and_the_manifest_counts_it(opus_mirror, tmp_path):
    import pyarrow.parquet as pq

    full = stage(opus_mirror, tmp_path / "full", None)
    capped = stage(opus_mirror, tmp_path / "capped", 20)
    again = stage(opus_mirror, tmp_path / "again", 20)
    assert full["rows"] == {"validation": 8, "train": 50}
    assert capped["rows"] == {"validation": 8, "train": 20}
    assert capped["rows_available"] == {"validation": 8, "train": 50}
    assert capped["sample"] == {"train": 20}
    rows = pq.read_table(tmp_path / "capped" / "train.parquet").to_pylist()
    every = pq.read_table(tmp_path / "full" / "train.parquet").to_pylist()
    assert rows == [every[i] for i in sample_indices(50, 20, 0)]  # in the original order
    assert rows == pq.read_table(tmp_path / "again" / "train.parquet").to_pylist()
    assert rows != every[:20]  # a sample, not the head
    assert json.loads((tmp_path / "capped" / "staged.json").read_text()) == capped
    assert again["content_hashes"]["hash"] == capped["content_hashes"]["hash"]


def test_the_sample_is_everything_under_the_cap():
    assert sample_indices(5, 10, 0) == [0, 1, 2, 3, 4]
    picked = sample_indices(1000, 100, 3)
    assert len(set(picked)) == 100 and picked == sorted(picked)
    assert picked != sample_indices(1000, 100, 4)


def test_a_job_reads_the_staged_hash_without_reading_the_files(opus_mirror, tmp_path, monkeypatch):
    out = tmp_path / "staged"
    manifest = stage(opus_mirror, out, 20)
    expected = fingerprint.content_hash(out)

    def no_reading(*args):
        raise AssertionError("a staged folder was hashed again")

    monkeypatch.setattr(fingerprint, "_content_hash", no_reading)
    assert fingerprint.content_hash(out) == expected
    assert manifest["content_hashes"]["files"][0][0] == "train.parquet"
    monkeypatch.undo()
    # A file that no longer matches its record is hashed again, and the hash changes.
    (out / "train.parquet").write_bytes(b"changed")
    assert fingerprint.content_hash(out) != expected


def test_bin_shards_are_converted_to_safetensors_with_the_same_weights(tmp_path):
    import torch
    from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM

    from pipeline.data.provenance import weight_files
    from pipeline.staging.hub import stage_hub_model
    from pipeline.staging.standins import build_llama, build_mbart

    texts = standins.corpus_texts(n=60)
    mirror = tmp_path / "mirror"
    build_llama(mirror / "lmsys/vicuna-7b-v1.3", texts["en"])  # two .bin shards + index
    build_mbart(mirror / "facebook/mbart-large-cc25", [t for v in texts.values() for t in v])
    for hub_id, auto in (
        ("lmsys/vicuna-7b-v1.3", AutoModelForCausalLM),
        ("facebook/mbart-large-cc25", AutoModelForSeq2SeqLM),  # tied embeddings
    ):
        out = tmp_path / hub_id.replace("/", "__")
        out.mkdir()
        spec = {"hub_id": hub_id, "revision": "UNPINNED", "hub_mirror": str(mirror)}
        manifest = stage_hub_model(spec, out, key="models.x")
        names = sorted(p.name for p in out.iterdir())
        assert not any(n.endswith(".bin") or n == "pytorch_model.bin.index.json" for n in names)
        assert {n for n in manifest["converted"].values() if not n.endswith(".json")} == {
            n for n in names if n.endswith(".safetensors")
        }
        assert weight_files(out) and all(n.startswith("model") for n in weight_files(out)), names
        staged = auto.from_pretrained(str(out)).state_dict()
        original = auto.from_pretrained(str(mirror / hub_id)).state_dict()
        assert staged.keys() == original.keys()
        assert all(torch.equal(staged[k], original[k]) for k in staged)
        assert manifest["content_hashes"]["hash"]
