"""Registry of model sources: where a staged model comes from.

``synthetic`` pre-trains on the synthetic world; ``scratch`` is the same architecture left
at random initialisation (the control that shows pre-training created knowledge); ``hub``
stages a hub id's pinned revision (paper config only), from the hub on the login node or
from a ``hub_mirror`` folder of stand-ins; every compute job then loads the staged folder.
``implant`` continues a staged synthetic model's training into one region of its weights:
the control studies' models (pipeline/models/implant.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.io import write_json


def stage_synthetic(spec: dict[str, Any], world_dir: Path | None, out_dir: Path) -> None:
    """Pre-train the spec's architecture and size on the synthetic world's corpus."""
    from pipeline.models.pretrain import pretrain

    if world_dir is None:
        raise ValueError("a synthetic model source needs --world")
    pretrain(world_dir, spec["arch"], spec["size"], spec["pretrain"], out_dir)


def stage_scratch(spec: dict[str, Any], world_dir: Path | None, out_dir: Path) -> None:
    """The same architecture at random initialisation: the from-scratch control."""
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
        tuple(spec["pretrain"].get("extra_corpora", ())),  # the same vocabulary
    )
    model.save_pretrained(str(out_dir))
    write_json(out_dir / "pretrain.json", {"arch": spec["arch"], "objective": "none (scratch)"})


def stage_hub(spec: dict[str, Any], world_dir: Path | None, out_dir: Path) -> None:
    """The pinned revision's weights (safetensors, else ``.bin``) and tokenizer files, from
    the hub or the config's ``hub_mirror`` (pipeline/staging/)."""
    from pipeline.staging.hub import stage_hub_model

    stage_hub_model(spec, out_dir, key=f"models.{spec.get('name', spec['hub_id'])}")


def stage_implant(spec: dict[str, Any], world_dir: Path | None, out_dir: Path) -> None:
    """The staged model ``of`` with the hard fact-recall level implanted into its small,
    large or random weights (``into``); ``base_dir`` (stage-model --base) is its folder."""
    from pipeline.models.implant import implant

    if world_dir is None or "base_dir" not in spec:
        raise ValueError("an implant model source needs --world and --base")
    implant(spec, Path(spec["base_dir"]), world_dir, out_dir)


SOURCES: dict[str, Callable[[dict[str, Any], Path | None, Path], None]] = {
    "synthetic": stage_synthetic,
    "scratch": stage_scratch,
    "hub": stage_hub,
    "implant": stage_implant,
}
