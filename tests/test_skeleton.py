"""Issue-4 invariants end to end on a tiny pre-trained model (no Snakemake)."""

from __future__ import annotations

import pytest
import torch

from pipeline.compress.magnitude import global_magnitude_masks
from pipeline.compress.masks import load_masks, save_masks
from pipeline.compress.prunable import prunable_parameters, sparsity_report
from pipeline.finetune.protocol import Protocol
from tests.conftest import magnitude_mask, tiny_run

PROTOCOL = Protocol(lr=1e-3, epochs=1, batch_size=16, max_length=24, seed=3)


@pytest.fixture(scope="module")
def backbone(tiny_roberta):
    from transformers import AutoModel

    return AutoModel.from_pretrained(str(tiny_roberta))


def test_denominator_is_attention_and_mlp_linear_weights_only(backbone):
    names = list(prunable_parameters(backbone))
    layers = backbone.config.num_hidden_layers
    assert len(names) == 6 * layers  # q, k, v, attn out, intermediate, output
    assert all(n.endswith(".weight") and "embeddings" not in n for n in names)
    assert not any("LayerNorm" in n or "pooler" in n for n in names)


@pytest.mark.parametrize("sparsity", [0.1, 0.5, 0.9])
def test_achieved_sparsity_equals_requested_over_the_denominator(backbone, sparsity):
    params = prunable_parameters(backbone)
    masks = global_magnitude_masks(params, str(sparsity))
    report = sparsity_report(params, masks)
    total = sum(p.numel() for p in params.values())
    assert report["denominator_numel"] == total
    assert report["pruned"] == round(sparsity * total)
    assert report["achieved_sparsity"] == pytest.approx(sparsity, abs=1 / total)
    # Global: every pruned weight is no larger than every kept one.
    pruned = torch.cat([p.detach().abs()[~masks[n]] for n, p in params.items()])
    kept = torch.cat([p.detach().abs()[masks[n]] for n, p in params.items()])
    assert pruned.max() <= kept.min()


def test_mask_file_round_trips_bit_exactly(backbone, tmp_path):
    params = prunable_parameters(backbone)
    masks = global_magnitude_masks(params, "0.37")
    save_masks(tmp_path / "mask.npz", masks)
    loaded = load_masks(tmp_path / "mask.npz")
    assert list(loaded) == list(masks)
    for name, mask in masks.items():
        assert loaded[name].dtype == torch.bool
        assert torch.equal(loaded[name], mask), name
    import numpy as np

    with np.load(tmp_path / "mask.npz") as stored:  # one bit per weight
        packed = sum(stored[k].nbytes for k in stored.files if k.startswith("bits_"))
    assert packed == sum((p.numel() + 7) // 8 for p in params.values())


@pytest.fixture(scope="module")
def mask_06(backbone, tmp_path_factory):
    """The backbone's magnitude masks at sparsity 0.6."""
    return magnitude_mask(backbone, "0.6", tmp_path_factory.mktemp("mask"))


def test_sparse_mode_keeps_every_pruned_weight_exactly_zero(
    tiny_roberta, tiny_world, tmp_path, mask_06
):
    from transformers import AutoModelForSequenceClassification

    record = tiny_run(
        tiny_roberta,
        tiny_world,
        "magnitude-0.6",
        "sparse",
        masks_path=mask_06,
        protocol=PROTOCOL,
        out_dir=tmp_path / "ft",
    )
    assert record["achieved_sparsity"] >= 0.6 - 1e-6
    model = AutoModelForSequenceClassification.from_pretrained(str(tmp_path / "ft"))
    params = prunable_parameters(model)
    masks = load_masks(mask_06)
    for name, param in params.items():
        assert torch.count_nonzero(param.detach()[~masks[name]]) == 0, name
    # ...while the kept weights did train.
    pretrained = prunable_parameters(
        AutoModelForSequenceClassification.from_pretrained(str(tiny_roberta), num_labels=2)
    )
    moved = sum(int((params[n].detach() != pretrained[n].detach())[masks[n]].sum()) for n in params)
    assert moved > 0


def test_same_seed_gives_identical_metrics_twice(tiny_roberta, tiny_world, tmp_path):
    first = tiny_run(tiny_roberta, tiny_world, "dense", "dense", protocol=PROTOCOL)
    second = tiny_run(tiny_roberta, tiny_world, "dense", "dense", protocol=PROTOCOL)
    assert first["metrics"] == second["metrics"]
    assert first["loss"] == second["loss"]
    assert first["protocol_hash"] == second["protocol_hash"]


def test_mode_and_compression_must_fit(tiny_roberta, tiny_world, tmp_path, mask_06):
    with pytest.raises(ValueError, match="do not fit"):
        tiny_run(tiny_roberta, tiny_world, "dense", "sparse", protocol=PROTOCOL)
