"""Staging: the model files a repository really holds, pinned revisions, data sets staged
as Parquet from a hub-shaped folder, and compute jobs kept offline."""

from __future__ import annotations

import json

import pytest

from pipeline.staging.files import select_model_files
from pipeline.staging.revisions import UNPINNED, check_revision

# File listings of the real repositories' main revisions (top level and a subfolder).
ROBERTA_BASE = [
    ".gitattributes",
    "README.md",
    "config.json",
    "dict.txt",
    "flax_model.msgpack",
    "merges.txt",
    "model.safetensors",
    "onnx/model.onnx",
    "onnx/config.json",
    "pytorch_model.bin",
    "rust_model.ot",
    "tf_model.h5",
    "tokenizer.json",
    "vocab.json",
]
MBART_CC25 = [".gitattributes", "README.md", "config.json", "pytorch_model.bin",
              "sentencepiece.bpe.model", "tokenizer.json"]  # fmt: skip
VICUNA_7B = [
    ".gitattributes",
    "README.md",
    "config.json",
    "generation_config.json",
    "pytorch_model-00001-of-00002.bin",
    "pytorch_model-00002-of-00002.bin",
    "pytorch_model.bin.index.json",
    "special_tokens_map.json",
    "tokenizer.model",
    "tokenizer_config.json",
]


def test_safetensors_win_when_a_repository_has_both():
    assert select_model_files(ROBERTA_BASE) == [
        "config.json",
        "dict.txt",
        "merges.txt",
        "model.safetensors",
        "tokenizer.json",
        "vocab.json",
    ]


def test_bin_when_a_repository_has_no_safetensors():
    assert select_model_files(MBART_CC25) == [
        "config.json",
        "pytorch_model.bin",
        "sentencepiece.bpe.model",
        "tokenizer.json",
    ]
    assert select_model_files(VICUNA_7B) == sorted(set(VICUNA_7B) - {".gitattributes", "README.md"})


def test_sharded_safetensors_keep_their_index_and_drop_the_bin_one():
    listing = [
        "config.json",
        "model-00001-of-00002.safetensors",
        "model-00002-of-00002.safetensors",
        "model.safetensors.index.json",
        "pytorch_model-00001-of-00002.bin",
        "pytorch_model-00002-of-00002.bin",
        "pytorch_model.bin.index.json",
        "tokenizer.model",
    ]
    assert select_model_files(listing) == [
        "config.json",
        "model-00001-of-00002.safetensors",
        "model-00002-of-00002.safetensors",
        "model.safetensors.index.json",
        "tokenizer.model",
    ]


def test_a_repository_without_weights_is_an_error():
    with pytest.raises(ValueError, match="no weights"):
        select_model_files(["config.json", "tf_model.h5", "pytorch_model.bin.index.json"])


def test_unpinned_revisions_are_refused_with_how_to_pin():
    for bad in (UNPINNED, None, "main", "refs/convert/parquet"):
        with pytest.raises(ValueError, match="models.m.revision.*not a commit hash.*Pin it"):
            check_revision("models.m.revision", bad)
    commit = "e2da8e2f811d1448a5b465c236feacd80ffbac7b"
    assert check_revision("models.m.revision", commit) == commit


def test_staging_from_the_hub_refuses_the_placeholder_before_any_download(tmp_path):
    from pipeline.data.stage import stage_dataset
    from pipeline.staging.hub import stage_hub_model

    with pytest.raises(ValueError, match="models.vicuna.revision"):
        stage_hub_model({"hub_id": "lmsys/vicuna-7b-v1.3", "revision": UNPINNED}, tmp_path,
                        key="models.vicuna")  # fmt: skip
    spec = {"hub_id": "nyu-mll/glue", "config": "sst2", "splits": {"train": None},
            "revision": UNPINNED}  # fmt: skip
    with pytest.raises(ValueError, match="datasets.nyu-mll/glue.revision"):
        stage_dataset(spec, tmp_path)


def test_model_staging_from_a_mirror_copies_the_selected_files(tmp_path):
    from pipeline.staging.hub import stage_hub_model

    repo = tmp_path / "mirror" / "lmsys" / "vicuna-7b-v1.3"
    repo.mkdir(parents=True)
    import torch

    for name in VICUNA_7B + ["tf_model.h5"]:
        (repo / name).write_text("x")
    for k in (1, 2):  # real shards: staging converts them to safetensors
        torch.save({f"w{k}": torch.ones(2)}, repo / f"pytorch_model-0000{k}-of-00002.bin")
    index = {"weight_map": {f"w{k}": f"pytorch_model-0000{k}-of-00002.bin" for k in (1, 2)}}
    (repo / "pytorch_model.bin.index.json").write_text(json.dumps(index))
    out = tmp_path / "out"
    out.mkdir()
    spec = {"hub_id": "lmsys/vicuna-7b-v1.3", "revision": UNPINNED,
            "hub_mirror": str(tmp_path / "mirror")}  # fmt: skip
    manifest = stage_hub_model(spec, out, key="models.vicuna")
    staged = sorted(p.name for p in out.iterdir())
    converted = {"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
                 "model.safetensors.index.json"}  # fmt: skip
    kept = set(VICUNA_7B) - {".gitattributes", "README.md"} - set(manifest["converted"])
    assert staged == sorted(kept | converted | {"staged.json"})
    assert set(manifest["converted"]) == set(VICUNA_7B) - kept - {".gitattributes", "README.md"}
    assert json.loads((out / "staged.json").read_text()) == manifest
    assert manifest["revision"] == UNPINNED and manifest["mirror"] == str(repo)


def test_the_paper_dry_run_stages_first_and_pins_every_data_set():
    import subprocess

    from pipeline.catalog import study_datasets
    from tests.conftest import paper as paper_config

    config = paper_config()
    datasets = study_datasets(config)
    assert {s["hub_id"] for s in datasets.values()} == set(config["datasets"])
    trivia = datasets["mandarjoshi__trivia_qa__rc"]
    assert trivia["splits"] == {"validation": 2000}  # zero-shot: no train split staged
    opus = sorted(n for n in datasets if "opus" in n)
    # setting 2's four pairs and the ten of mBART's continued training (OPUS-100 names a
    # pair's config in alphabetical order: cs-en, en-fr)
    pairs = ("cs-en", "de-en", "en-fr", "en-gu", "en-ja", "en-my", "en-ro", "en-ru", "en-vi")
    assert opus == sorted(f"Helsinki-NLP__opus-100__{p}" for p in (*pairs, "en-zh"))
    out = subprocess.run(
        ["snakemake", "-n", "all_figures", "--configfile", "configs/paper.yaml"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    jobs = [line.split()[1].rstrip(":") for line in out.splitlines() if line.startswith("rule ")]
    # Table 1 as printed and the GPU preflight: no inputs, they run at any time
    jobs = [j for j in jobs if j not in ("printed_difficulty", "gpu_preflight")]
    staging = {"stage_data", "stage_hub_model"}
    staged_models = [m for m, spec in config["models"].items() if spec["source"] == "hub"]
    n = len(datasets) + len(staged_models)
    assert set(jobs[:n]) == staging and staging.isdisjoint(jobs[n:])
