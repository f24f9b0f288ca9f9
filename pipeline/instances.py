"""Model instances: a model pre-trained under several seeds is several models.

``models.<name>.pretrain.seeds: [0, 1, 2]`` replicates a synthetic model's pre-training
(the world fixed): each seed is an instance named ``<name>/p<seed>``. Every path built from
``{model}`` (``models/``, ``masks/``, ``runs/``, ``lmc/``) so carries the pre-training seed
as a component of its own, and a result row splits the name back into ``model`` and
``pretrain_seed`` (pipeline/load.py). A scratch control or an implant of a replicated model
follows its ``of``: ``tiny_roberta_scratch/p1`` is initialised with seed 1,
``implant_small/p1`` starts from ``base/p1``. A model with one ``pretrain.seed``, and every
hub or continued model, is one instance under its own name with no pre-training seed: a
fixed model that every replicate shares (the verdict enters its rows in each replicate).
"""

from __future__ import annotations

import re
from typing import Any

SEP = "/p"  # <name>/p<seed>: model names never hold a "/" (the config schema's pattern)
# The ``model`` wildcard: a name, or an instance (the Snakefile's constraint).
MODEL_PATTERN = r"[A-Za-z0-9_.-]+(?:/p\d+)?"
_INSTANCE = re.compile(r"^(?P<name>[^/]+)/p(?P<seed>\d+)$")
FOLLOWS_BASE = ("scratch", "implant")  # sources whose ``of`` sets the pre-training seeds


def pretrain_seeds(config: dict[str, Any], name: str) -> list[int] | None:
    """The pre-training seeds of model ``name`` (its ``of``'s for a scratch control or an
    implant); None where the study does not replicate its pre-training (or does not name the
    model: pipeline/config.py reports that)."""
    models = config.get("models", {})
    spec = models.get(name, {})
    if spec.get("source") in FOLLOWS_BASE and spec.get("of") in models:
        return pretrain_seeds(config, spec["of"])
    seeds = spec.get("pretrain", {}).get("seeds")
    return None if seeds is None else [int(s) for s in seeds]


def instance(name: str, seed: int | None) -> str:
    """``("tiny_roberta", 1)`` -> ``"tiny_roberta/p1"``; no seed: the name itself."""
    return name if seed is None else f"{name}{SEP}{seed}"


def instances(config: dict[str, Any], name: str) -> list[str]:
    """Every instance of model ``name``, in the order of its seeds."""
    seeds = pretrain_seeds(config, name)
    return [name] if seeds is None else [instance(name, s) for s in seeds]


def all_instances(config: dict[str, Any]) -> list[str]:
    """Every instance of every model of the study."""
    return [i for name in config["models"] for i in instances(config, name)]


def split(name: str) -> tuple[str, int | None]:
    """``"tiny_roberta/p1"`` -> ``("tiny_roberta", 1)``; ``"roberta-base"`` -> its name, None."""
    found = _INSTANCE.match(name)
    return (name, None) if found is None else (found["name"], int(found["seed"]))


def entry(config: dict[str, Any], name: str) -> dict[str, Any]:
    """The config entry an instance is staged from: its model's, pre-trained (or, for a
    scratch control, initialised) with the instance's seed, its ``of`` the same seed's
    instance of the base."""
    base, seed = split(name)
    spec = config["models"][base]
    if seed is None:
        return spec
    spec = dict(spec)
    if "of" in spec:
        spec["of"] = instance(spec["of"], seed)
    if "pretrain" in spec:
        pretrain = {k: v for k, v in spec["pretrain"].items() if k != "seeds"}
        spec["pretrain"] = {**pretrain, "seed": seed}
    return spec


def paired(config: dict[str, Any], model: str, control: str | None) -> list[tuple[str, Any]]:
    """(model instance, its control instances) pairs: a control replicated like its model
    is paired seed by seed; an unreplicated one serves every instance."""
    out = []
    controls = instances(config, control) if control else []
    for name in instances(config, model):
        seed = split(name)[1]
        same = [c for c in controls if split(c)[1] == seed]
        out.append((name, same or [c for c in controls if split(c)[1] is None] or controls))
    return out
