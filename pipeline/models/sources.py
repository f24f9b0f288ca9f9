"""Registry of model sources: where a staged model comes from.

``synthetic`` pre-trains on the synthetic world; ``scratch`` is the same architecture left
at random initialisation (the control that shows pre-training created knowledge); ``hub``
downloads a hub id (paper config only: nothing here runs offline against a hub).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.io import write_json


def stage_synthetic(spec: dict[str, Any], world_dir: Path | None, out_dir: Path) -> None:
    from pipeline.models.pretrain import pretrain

    if world_dir is None:
        raise ValueError("a synthetic model source needs --world")
    pretrain(world_dir, spec["arch"], spec["size"], spec["pretrain"], out_dir)


def stage_scratch(spec: dict[str, Any], world_dir: Path | None, out_dir: Path) -> None:
    from pipeline.models.pretrain import init_model

    if world_dir is None:
        raise ValueError("a scratch model source needs --world")
    _, model = init_model(
        world_dir,
        spec["arch"],
        spec["size"],
        spec["pretrain"]["max_length"],
        out_dir,
        spec["pretrain"]["seed"],
    )
    model.save_pretrained(str(out_dir))
    write_json(out_dir / "pretrain.json", {"arch": spec["arch"], "objective": "none (scratch)"})


def stage_hub(spec: dict[str, Any], world_dir: Path | None, out_dir: Path) -> None:
    from huggingface_hub import snapshot_download

    snapshot_download(
        repo_id=spec["hub_id"],
        revision=spec.get("revision"),
        local_dir=str(out_dir),
        allow_patterns=["*.json", "*.safetensors", "*.model", "*.txt"],
    )


SOURCES: dict[str, Callable[[dict[str, Any], Path | None, Path], None]] = {
    "synthetic": stage_synthetic,
    "scratch": stage_scratch,
    "hub": stage_hub,
}
