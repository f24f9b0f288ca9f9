"""The two quantization arms that train (claim e): quantization-aware fine-tuning moves
backbone weights across grid points and ends exactly on the RTN grid; post-training
quantization is the dense fine-tuned model, RTN-quantized. Holding quantized weights on a
fixed grid (mode ``sparse`` on an ``rtn`` compression) is the contrast: nothing moves."""

from __future__ import annotations

import pytest
import torch

from pipeline.compress.prunable import prunable_parameters
from pipeline.compress.quantize import off_grid, rtn_quantize
from pipeline.finetune.modes import get_mode
from pipeline.finetune.modes.base import quantization_bits
from pipeline.finetune.protocol import Protocol
from tests.conftest import tiny_run

# 96 rows / batch 16: 12 steps over 2 epochs.
PROTOCOL = Protocol(lr=1e-3, epochs=2, batch_size=16, max_length=24, seed=4, warmup_ratio=0.0)


def _cell(model_dir, world, out, compression, mode, masks=None, protocol=PROTOCOL, **fields):
    """A cell of the across-tasks setting, its fine-tuned weights written to ``out``."""
    return tiny_run(
        model_dir,
        world,
        compression,
        mode,
        setting="across_tasks",
        difficulty="task-all",
        masks_path=masks,
        protocol=protocol,
        out_dir=out,
        **fields,
    )


def _backbone(folder):
    from transformers import AutoModelForMaskedLM  # sentiment is read by the MLM head

    model = AutoModelForMaskedLM.from_pretrained(str(folder))
    return model, {n: p.detach().clone() for n, p in prunable_parameters(model).items()}


@pytest.fixture(scope="module")
def pretrained(tiny_roberta):
    from transformers import AutoModel

    return {
        n: p.detach().clone()
        for n, p in prunable_parameters(AutoModel.from_pretrained(str(tiny_roberta))).items()
    }


def _moved(after, before, bits):
    """Weights whose quantized value differs from the quantized pre-trained weight."""
    return sum(int((after[n] != rtn_quantize(before[n], bits)).sum()) for n in before)


@pytest.mark.parametrize("bits", [4, 8])
def test_qat_moves_weights_across_grid_points_and_ends_on_the_grid(
    tiny_roberta, tiny_world, tmp_path, pretrained, bits
):
    record = _cell(tiny_roberta, tiny_world, tmp_path / "qat", f"rtn-{bits}bit", "qat")
    assert record["mode"] == "qat" and record["training"]["steps"] == 12
    _, final = _backbone(tmp_path / "qat")
    total = sum(w.numel() for w in final.values())
    assert all(off_grid(w, bits) == 0 for w in final.values())  # exactly on the grid
    moved = _moved(final, pretrained, bits)
    print(f"QAT {bits} bit: {moved} of {total} backbone weights changed grid point")
    assert moved > 0.001 * total
    assert record["training"]["quantized_weights_moved"] == moved
    assert record["training"]["quantized_weights"] == total


def test_a_fixed_grid_moves_nothing_where_qat_does(tiny_roberta, tiny_world, tmp_path, pretrained):
    """The old arm (rtn compression, mode sparse) under the same protocol: the grid holds every
    weight, so not one changes; this is what QAT replaces."""
    from pipeline.compress.apply import save_weights
    from pipeline.compress.base import Target
    from pipeline.compress.masks import save_masks
    from pipeline.compress.quantize import rtn

    params = {n: torch.nn.Parameter(w.clone()) for n, w in pretrained.items()}
    masks = rtn(Target(model=None, params=params, seed=0), 4)
    folder = tmp_path / "rtn-4bit"
    save_masks(folder / "mask.npz", masks)
    save_weights(folder / "weights.safetensors", params)
    _cell(tiny_roberta, tiny_world, tmp_path / "held", "rtn-4bit", "sparse", folder / "mask.npz")
    _, held = _backbone(tmp_path / "held")
    assert _moved(held, pretrained, 4) == 0


def test_ptq_is_the_dense_fine_tuned_model_quantized(tiny_roberta, tiny_world, tmp_path):
    dense = _cell(tiny_roberta, tiny_world, tmp_path / "dense", "dense", "dense")
    ptq = _cell(tmp_path / "dense", tiny_world, tmp_path / "ptq", "rtn-3bit", "ptq")
    dense_model, dense_backbone = _backbone(tmp_path / "dense")
    ptq_model, ptq_backbone = _backbone(tmp_path / "ptq")
    for name, weight in dense_backbone.items():
        assert torch.equal(ptq_backbone[name], rtn_quantize(weight, 3)), name
        assert off_grid(ptq_backbone[name], 3) == 0
    # The head is the dense run's, untouched; the quantization changed the score.
    assert torch.equal(ptq_model.lm_head.dense.weight, dense_model.lm_head.dense.weight)
    assert ptq["training"]["steps"] == 0 and ptq["protocol_hash"] == dense["protocol_hash"]
    assert ptq["loss"] != dense["loss"]


def test_ptq_in_fp16_quantizes_and_verifies_its_grid_in_fp32(
    tiny_roberta, tiny_world, tmp_path, pretrained
):
    """Setting 2 is fp16: the cell loads in fp32, rounds and checks the grid there, and
    evaluates under fp16 autocast (loaded in fp16, 39-98% of the weights were off grid)."""
    from dataclasses import replace

    fp16 = replace(PROTOCOL, precision="fp16")
    row = _cell(tiny_roberta, tiny_world, tmp_path / "ptq", "rtn-4bit", "ptq", protocol=fp16)
    assert row["protocol"]["precision"] == "fp16"
    assert row["training"]["weights_dtype"] == "float32"
    assert row["loss"] == pytest.approx(row["loss"]) and 0 < row["loss"] < 100
    _, backbone = _backbone(tmp_path / "ptq")
    for name, weight in pretrained.items():
        assert off_grid(backbone[name], 4) == 0, name
        assert torch.equal(backbone[name], rtn_quantize(weight, 4)), name


def test_qat_resumes_its_latent_weights_from_a_checkpoint(tiny_roberta, tiny_world, tmp_path):
    """A rerun finds the first run's last checkpoint (a tiny wall-time interval: every step,
    so step 11 of 12) and must end identically:
    only possible if the latent weights, not just the quantized ones, were restored."""
    ckpt = tmp_path / "ckpt"
    first = _cell(
        tiny_roberta,
        tiny_world,
        tmp_path / "a",
        "rtn-4bit",
        "qat",
        checkpoint_dir=ckpt,
        checkpoint_minutes=1e-9,
    )
    second = _cell(
        tiny_roberta,
        tiny_world,
        tmp_path / "b",
        "rtn-4bit",
        "qat",
        checkpoint_dir=ckpt,
        checkpoint_minutes=1e-9,
    )
    assert second["training"]["resumed_from_step"] == 11
    _, a = _backbone(tmp_path / "a")
    _, b = _backbone(tmp_path / "b")
    assert all(torch.equal(a[n], b[n]) for n in a)
    assert first["value"] == second["value"] and first["loss"] == second["loss"]


def test_quantizing_modes_need_a_bit_width_compression():
    assert quantization_bits("qat", "rtn-3bit") == 3
    with pytest.raises(ValueError, match="needs a compression of bit-width kind.*magnitude-0.5"):
        quantization_bits("qat", "magnitude-0.5")
    for name in ("ptq", "qat"):
        mode = get_mode(name)
        assert mode.quantizes and mode.uses_mask
    assert get_mode("ptq").from_dense_run and not get_mode("ptq").trains
    assert get_mode("qat").trains and not get_mode("qat").from_dense_run
