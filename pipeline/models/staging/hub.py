"""Stage a hub model: the selected files of the pinned revision (or of its ``hub_mirror``
folder), plus ``staged.json`` recording where they came from (every result row carries it).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from pipeline.io import read_json, write_json
from pipeline.models.staging.files import select_model_files
from pipeline.models.staging.revisions import check_revision, mirror_folder

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
    manifest = {"hub_id": hub_id, "revision": revision, "files": files, **source}
    write_json(out_dir / MANIFEST, manifest)
    return manifest


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
