"""A compression method's own options: typed and defaulted by the dataclass it declares,
validated by the config schema before any job, and part of the compression label when they
differ from their defaults (so two option sets never share a mask or a run)."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Literal

import pytest
from snakemake.utils import validate

from pipeline import paths, study
from pipeline.compress.base import CompressionMethod
from pipeline.compress.options import options_tag, parse_options
from pipeline.compress.registry import METHODS
from pipeline.config import ConfigError
from pipeline.config_schema import schema_file
from tests.conftest import default

REPO = Path(__file__).resolve().parents[1]


@dataclasses.dataclass(frozen=True)
class OwlLike:
    lam: float = 0.08
    m: int = 5
    variant: Literal["row", "layer"] = "row"


@pytest.fixture
def owl(monkeypatch):
    method = CompressionMethod(
        "owl_like",
        "sparsity",
        "pipeline.compress.magnitude:layer_magnitude",
        "toy",
        options=OwlLike,
    )
    monkeypatch.setitem(METHODS, method.name, method)
    config = default()
    config["compression"]["methods"] = ["magnitude", "owl_like"]
    config["compression"]["sparsities"] = [0.5]
    for block in config["settings"].values():
        block.pop("methods", None)
    return method, config


def test_options_parse_typed_with_defaults_and_name_the_key(owl):
    method, _ = owl
    assert method.parse_options({}) == OwlLike()
    assert method.parse_options({"lam": 1, "variant": "layer"}) == OwlLike(lam=1.0, variant="layer")
    for raw, match in (
        ({"lamda": 0.1}, r"compression.options.owl_like.lamda.*allowed: \['lam', 'm', 'variant'\]"),
        ({"m": 2.5}, r"compression.options.owl_like.m': 2.5; allowed: a int"),
        ({"m": True}, "compression.options.owl_like.m"),
        ({"variant": "col"}, r"variant': 'col'; allowed: \['row', 'layer'\]"),
    ):
        with pytest.raises(ValueError, match=match):
            parse_options(OwlLike, raw, "compression.options.owl_like")


def test_schema_validates_each_methods_options_before_any_job(owl):
    _, config = owl
    good = copy.deepcopy(config)
    good["compression"]["options"] = {"owl_like": {"lam": 0.1}}
    validate(good, schema_file())
    assert good["compression"]["options"]["owl_like"] == {"lam": 0.1, "m": 5, "variant": "row"}
    for options, match in (
        ({"owl_like": {"lamda": 0.1}}, "lamda"),
        ({"owl_like": {"variant": "col"}}, "col"),
        ({"not_a_method": {}}, "not_a_method"),
    ):
        bad = copy.deepcopy(config)
        bad["compression"]["options"] = options
        with pytest.raises(Exception, match=match):
            validate(bad, schema_file())


def test_non_default_options_are_part_of_the_label_and_the_mask_path(owl):
    _, config = owl
    assert study.compressions(config) == ["magnitude-0.5", "owl_like-0.5"]  # defaults: no tag
    config["compression"]["options"] = {"owl_like": {"lam": 0.1, "variant": "layer"}}
    labels = study.compressions(config)
    assert labels == ["magnitude-0.5", "owl_like-0.5+lam=0.1+variant=layer"]
    assert paths.split_compression(labels[1]) == ("owl_like", "0.5")
    assert paths.options_tag_of(labels[1]) == "+lam=0.1+variant=layer"
    assert options_tag(OwlLike(lam=0.1, variant="layer")) == "+lam=0.1+variant=layer"
    masks = {c.path(paths.MASK, "r") for c in study.cells(config) if c.compression != "dense"}
    assert "r/" + paths.MASK.format(model="tiny_roberta/p0", compression=labels[1]) in masks
    config["compression"]["options"] = {"owl_like": {"lam": "big"}}
    with pytest.raises(ConfigError, match="compression.options.owl_like.lam"):
        study.compressions(config)
