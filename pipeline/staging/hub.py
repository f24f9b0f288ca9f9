"""Stage a hub model: the selected files of the pinned revision (or of its ``hub_mirror``
folder), plus ``staged.json`` recording where they came from (every result row carries it).

PyTorch ``.bin`` shards are converted to safetensors here, once, so no compute job unpickles
them (slow, and arbitrary code on load); staging also records the folder's content hash, so
jobs do not hash it again (pipeline/fingerprint.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from pipeline.io import read_json, write_json
from pipeline.staging.files import PYTORCH_BIN, select_model_files
from pipeline.staging.revisions import check_revision, mirror_folder

MANIFEST = "staged.json"


def stage_hub_model(spec: dict[str, Any], out_dir: Path, key: str) -> dict[str, Any]:
    """Copy or download the model ``spec`` (``hub_id``, ``revision``, optional
    ``hub_mirror``) into ``out_dir``; ``key`` names the config entry in error messages."""
    hub_id, revision = spec["hub_id"], spec.get("revision")
    if spec.get("hub_mirror"):
        folder = mirror_folder(spec["hub_mirror"], hub_id)
        listing = [str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()]
        files = select_model_files(listing)
        for name in files:
            shutil.copy2(folder / name, out_dir / name)
        source = {"mirror": str(folder)}
    else:
        from huggingface_hub import HfApi, snapshot_download

        revision = check_revision(f"{key}.revision", revision)
        files = select_model_files(HfApi().list_repo_files(hub_id, revision=revision))
        snapshot_download(
            repo_id=hub_id, revision=revision, local_dir=str(out_dir), allow_patterns=files
        )
        shutil.rmtree(out_dir / ".cache", ignore_errors=True)  # huggingface_hub's bookkeeping
        source = {"hub": hub_id}
    converted = bin_to_safetensors(out_dir)
    from pipeline.fingerprint import record_hashes

    manifest = {
        "hub_id": hub_id,
        "revision": revision,
        "files": files,
        "converted": converted,
        **source,
        "content_hashes": record_hashes(out_dir),
    }
    write_json(out_dir / MANIFEST, manifest)
    return manifest


def bin_to_safetensors(folder: Path) -> dict[str, str]:
    """Rewrite ``pytorch_model*.bin`` (and its index) as ``model*.safetensors`` (and
    ``model.safetensors.index.json``), shard for shard; return {old file: new file}.
    Tensors that share storage in a shard (tied embeddings) are saved as copies: safetensors
    stores no aliases, and transformers ties them again on load."""
    import json
    from fnmatch import fnmatch

    import torch
    from safetensors.torch import save_file

    shards = sorted(p for p in folder.iterdir() if fnmatch(p.name, PYTORCH_BIN[1]))
    shards = shards or [p for p in [folder / PYTORCH_BIN[0]] if p.exists()]
    renamed = {}
    for shard in shards:
        state = torch.load(shard, map_location="cpu", weights_only=True)
        seen: set[int] = set()
        for name, tensor in state.items():
            pointer = tensor.untyped_storage().data_ptr()
            state[name] = tensor.contiguous() if pointer not in seen else tensor.clone()
            seen.add(pointer)
        new = shard.name.replace("pytorch_model", "model").replace(".bin", ".safetensors")
        save_file(state, str(folder / new), metadata={"format": "pt"})
        shard.unlink()
        renamed[shard.name] = new
    index = folder / PYTORCH_BIN[2]
    if index.exists():
        data = json.loads(index.read_text())
        data["weight_map"] = {k: renamed[v] for k, v in data["weight_map"].items()}
        (folder / "model.safetensors.index.json").write_text(json.dumps(data, indent=2))
        index.unlink()
        renamed[index.name] = "model.safetensors.index.json"
    return renamed


def staged_manifest(model_dir: str | Path) -> dict[str, Any] | None:
    """What ``stage_hub_model`` recorded for a staged folder (None for other sources)."""
    path = Path(model_dir) / MANIFEST
    return read_json(path) if path.exists() else None


def carry_manifest(model_dir: str | Path, out_dir: str | Path) -> None:
    """Copy a staged folder's manifest into a model saved from it (a kept fine-tuned model),
    so a run starting from that model (post-training quantization) records the same hub
    revision as the dense run it quantizes."""
    if (Path(model_dir) / MANIFEST).exists():
        shutil.copy2(Path(model_dir) / MANIFEST, Path(out_dir) / MANIFEST)
