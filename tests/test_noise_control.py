"""Claim (e)'s controls: RTN's zeroed weights are recorded, and Gaussian noise at matched
damage is a second control that the claim reads beside quantization.

The quantizer and the noise are tested on Gaussian rows whose answer is known; the noise
arm runs through the real fine-tuning cell (mode ptn on a dense fine-tuned model); the
claim is judged on simulated tables with the truth planted both ways."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from pipeline.analysis.decide import FAILS, HOLDS
from pipeline.analysis.options import Analysis
from pipeline.analysis.tables import normalize
from pipeline.analysis.verdict import evaluate
from pipeline.compress.base import Target
from pipeline.compress.levels import describe, format_scale, parse_scale
from pipeline.compress.registry import METHODS
from pipeline.compress.report import Origin, compression_report
from pipeline.finetune.modes import fits, get_mode
from tests.conftest import jitter
from tests.test_analysis import drop_harder_faster, results_rows

# --- RTN zeroes small weights ----------------------------------------------------------------


def _gaussian_rows(width: int, rows: int = 64, seed: int = 0) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return {"layer.weight": torch.nn.Parameter(torch.randn(rows, width, generator=generator))}


def _rtn_report(width: int, bits: int) -> dict:
    params = _gaussian_rows(width)
    method = METHODS["rtn"]
    masks = method.compress(Target(None, params), f"{bits}bit")
    origin = Origin(seed=0, model="gaussian", calibration=None, wall_time_s=0.0)
    return compression_report(method, f"{bits}bit", params, masks, "backbone", origin)


@pytest.mark.parametrize("width", [64, 512, 4096])
def test_rtn_zeroes_a_third_or_more_of_gaussian_rows_at_3_bits_and_almost_none_at_8(width):
    """Per-row symmetric RTN rounds |w| < max|w| / (2 (2^(b-1) - 1)) to zero: at 3 bits that
    is |w| below a sixth of the row's largest weight (33-47% of Gaussian weights for rows of
    64-4096), at 8 bits below 1/254 of it."""
    three, eight = _rtn_report(width, 3), _rtn_report(width, 8)
    assert 0.30 < three["zero_fraction"] < 0.50
    assert eight["zero_fraction"] < 0.02
    # wider rows have a larger maximum, so a wider zero bin: more zeros
    assert three["per_layer"]["layer.weight"]["zero_fraction"] == three["zero_fraction"]


def test_a_wider_row_zeroes_more_at_3_bits():
    assert _rtn_report(64, 3)["zero_fraction"] < _rtn_report(4096, 3)["zero_fraction"]


# --- the noise method ------------------------------------------------------------------------


def test_noise_levels_parse_format_and_fit_only_the_ptn_mode():
    assert format_scale(0.5) == "0.5sd" and parse_scale("0.5sd") == 0.5
    assert describe("scale", "1sd")["scale"] == 1.0 and describe("scale", "1sd")["bits"] is None
    for bad in ("0sd", "0.5", "-1sd", "halfsd"):
        with pytest.raises(ValueError, match="noise-scale level"):
            parse_scale(bad)
    with pytest.raises(ValueError, match="allowed a number > 0"):
        format_scale(0)
    assert fits("ptn", "noise-0.5sd") and not fits("ptn", "rtn-4bit")
    assert not fits("ptq", "noise-0.5sd") and fits("ptq", "rtn-4bit")
    ptn = get_mode("ptn")
    assert ptn.from_dense_run and not ptn.trains and ptn.applies == "scale"


def test_noise_is_seeded_and_scaled_by_each_rows_std():
    """Rows of very different spread get noise in proportion to their own std; the same
    seed draws the same noise, another seed other noise; nothing is pruned."""
    spread = torch.logspace(-2, 1, 32)[:, None]
    base = torch.randn(32, 2048, generator=torch.Generator().manual_seed(1)) * spread

    def noisy(seed: int, scale: float = 0.5):
        params = {"w": torch.nn.Parameter(base.clone())}
        masks = METHODS["noise"].compress(Target(None, params, seed), f"{scale:g}sd")
        return params["w"].detach(), masks

    a, masks = noisy(3)
    assert masks["w"].all()
    ratio = (a - base).std(dim=1) / base.std(dim=1)
    assert ratio.numpy() == pytest.approx(np.full(32, 0.5), abs=0.03)  # per row, not global
    assert torch.equal(a, noisy(3)[0]) and not torch.equal(a, noisy(4)[0])
    assert ((noisy(3, 1.0)[0] - base).std() / (a - base).std()).item() == pytest.approx(2, 0.01)


def test_prune_verb_reports_the_achieved_relative_perturbation():
    params = _gaussian_rows(256)
    before = {n: p.detach().clone() for n, p in params.items()}
    method = METHODS["noise"]
    masks = method.compress(Target(None, params, 0), "0.3sd")
    origin = Origin(seed=0, model="gaussian", calibration=None, wall_time_s=0.0)
    report = compression_report(method, "0.3sd", params, masks, "backbone", origin, before)
    assert report["noise_scale"] == 0.3 and report["achieved_sparsity"] == 0.0
    assert report["relative_perturbation"] == pytest.approx(0.3, abs=0.01)  # zero-mean rows
    assert report["per_layer"]["layer.weight"]["relative_perturbation"] == pytest.approx(
        report["relative_perturbation"]
    )


@pytest.mark.parametrize(
    ("scales", "message"),
    [
        ([0], r"'compression.noise_scales\[0\]': 0 is out of range; allowed: > 0"),
        (["a"], r"'compression.noise_scales\[0\]': 'a' is not a number"),
        ([], r"'compression.noise_scales': \[\] is too short"),
        ([0.5, 0.5], r"'compression.noise_scales': .* repeats an item"),
    ],
)
def test_bad_noise_scales_are_named_in_one_line(scales, message):
    from pathlib import Path

    from pipeline.overrides import study_config
    from pipeline.resolve import ConfigError

    default = Path(__file__).resolve().parents[1] / "config.yaml"
    with pytest.raises(ConfigError, match=message):
        study_config(default, [], {"compression": {"noise_scales": scales}})


def test_noise_levels_become_labels_and_a_missing_list_is_named():
    from pipeline import study
    from pipeline.config import ConfigError

    config = {"compression": {"methods": ["noise"], "sparsities": [0.5], "noise_scales": [0.25, 1]}}
    assert study.compressions(config) == ["noise-0.25sd", "noise-1sd"]
    del config["compression"]["noise_scales"]
    with pytest.raises(ConfigError, match="'compression.noise_scales' is required: method"):
        study.compressions(config)


# --- the noise arm through a real cell -------------------------------------------------------


def test_ptn_is_the_dense_fine_tuned_model_with_noise_and_ptq_records_its_zeros(
    tiny_roberta, tiny_world, tmp_path
):
    from tests.test_quant_modes import _backbone, _cell

    dense = _cell(tiny_roberta, tiny_world, tmp_path / "dense", "dense", "dense")
    ptn = _cell(tmp_path / "dense", tiny_world, tmp_path / "ptn", "noise-0.5sd", "ptn")
    _cell(tmp_path / "dense", tiny_world, tmp_path / "again", "noise-0.5sd", "ptn")
    ptq = _cell(tmp_path / "dense", tiny_world, None, "rtn-3bit", "ptq")
    dense_model, dense_backbone = _backbone(tmp_path / "dense")
    ptn_model, ptn_backbone = _backbone(tmp_path / "ptn")
    _, again_backbone = _backbone(tmp_path / "again")
    sq = sum(float((ptn_backbone[n] - w).square().sum()) for n, w in dense_backbone.items())
    norm = sum(float(w.square().sum()) for w in dense_backbone.values())
    assert ptn["training"]["relative_perturbation"] == pytest.approx((sq / norm) ** 0.5, 1e-4)
    assert 0.3 < ptn["training"]["relative_perturbation"] < 0.55
    assert all(torch.equal(ptn_backbone[n], again_backbone[n]) for n in ptn_backbone)  # seeded
    assert torch.equal(ptn_model.lm_head.dense.weight, dense_model.lm_head.dense.weight)
    assert ptn["training"]["steps"] == 0 and ptn["protocol_hash"] == dense["protocol_hash"]
    assert ptn["training"]["noise_scale"] == 0.5 and ptn["loss"] != dense["loss"]
    # Every RTN row records the fraction of weights it set to zero; no other row does.
    assert 0.2 < ptq["zeroed_fraction"] < 0.5
    assert ptq["zeroed_fraction"] == ptq["achieved_sparsity"]
    assert dense["zeroed_fraction"] is None and ptn["zeroed_fraction"] is None


def test_a_record_with_a_zeroed_fraction_outside_0_1_is_named(tmp_path):
    from pipeline import load

    record = {
        "study": "t", "setting": "s", "model": "m", "task": "t", "difficulty": "task-all",
        "compression": "rtn-3bit", "method": "rtn", "level": "3bit", "mode": "ptq", "seed": 0,
        "protocol_hash": "p", "metric": "accuracy", "value": 0.6, "zeroed_fraction": 1.4,
    }  # fmt: skip
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps(record))
    with pytest.raises(load.LoadError, match="zeroed_fraction 1.4 is outside its range"):
        load.record(path)
    path.write_text(json.dumps({**record, "zeroed_fraction": 0.36}))
    assert load.record(path)["zeroed_fraction"] == 0.36


# --- claim (e) with both controls, planted both ways -----------------------------------------

ANALYSIS = Analysis(bootstrap_resamples=1000)
SPARSITIES = ("0.2", "0.4", "0.6", "0.8")
BITS = {"8bit": 0.3, "4bit": 0.5, "2bit": 0.7}  # the sparsity of equal mean damage
SCALES = {"0.25sd": 0.3, "0.5sd": 0.5, "1sd": 0.7}
ZEROED = {8: 0.01, 4: 0.18, 2: 0.62}


def _ignores_difficulty(x: float, fraction: float, seed: int) -> float:
    """Damage at the mean of pruning's two extremes, the same on every level."""
    return 1 - 0.25 * x + jitter(seed, x, fraction)


def _study(noise: str | None) -> pd.DataFrame:
    """Magnitude pruning drops harder levels faster; RTN ignores difficulty; the noise
    control either ignores it too (``"flat"``) or orders it exactly as pruning does
    (``"ordered"``); ``None``: no noise rows."""

    def score(method, mode, x, fraction, seed, task):
        if method == "rtn":
            x = {8.0: 0.3, 4.0: 0.5, 2.0: 0.7}[x]
            return _ignores_difficulty(x, fraction, seed)
        if method == "noise":
            x = {0.25: 0.3, 0.5: 0.5, 1.0: 0.7}[x]
            if noise == "flat":
                return _ignores_difficulty(x, fraction, seed)
        return drop_harder_faster(method, mode, x, fraction, seed, task)

    compressions = [("magnitude", s) for s in SPARSITIES] + [("rtn", b) for b in BITS]
    if noise is not None:
        compressions += [("noise", s) for s in SCALES]
    frame = results_rows(score, compressions=tuple(compressions))
    arm = {"rtn": "ptq", "noise": "ptn"}
    frame["mode"] = [
        arm.get(m, mode) for m, mode in zip(frame["method"], frame["mode"], strict=True)
    ]
    bits = frame["level"].str.removesuffix("bit")
    frame["zeroed_fraction"] = [
        ZEROED[int(b)] + 0.001 * s if m == "rtn" else None
        for m, b, s in zip(frame["method"], bits, frame["seed"], strict=True)
    ]
    return normalize(frame)


def _claim_e(noise: str | None):
    return {c.key: c for c in evaluate(_study(noise), None, ANALYSIS)[0]}["e"]


def test_pruning_ordering_more_than_both_controls_holds_and_says_so():
    e = _claim_e("flat")
    assert e.verdict == HOLDS
    parts = e.by_normalization["chance"].parts
    assert [p["statistic"] for p in parts] == [
        "harder level at equal damage: quantization - pruning",
        "harder level at equal damage: Gaussian noise - pruning",
    ]
    assert all(p["mean"] > 0.02 for p in parts)
    arms = {d["arm"] for d in e.by_normalization["chance"].details}
    assert arms == {"rtn/ptq vs magnitude", "noise/ptn vs magnitude"}
    assert "more than quantization: yes" in e.reason
    assert "more than Gaussian noise: yes" in e.reason
    # The zeros RTN made, from the table's column, each bit width's mean over its runs.
    assert "RTN set to zero 62% at 2 bits, 18% at 4 bits, 1% at 8 bits" in e.reason
    assert "partly magnitude pruning" in e.reason


def test_noise_ordering_difficulty_like_pruning_makes_the_claim_fail_and_names_noise():
    """Quantization ignores difficulty, but noise orders it exactly as pruning does: pruning
    is then no more specific than damage of any kind, and (e) must not hold."""
    e = _claim_e("ordered")
    assert e.verdict == FAILS
    quant, noise = e.by_normalization["chance"].parts
    assert quant["mean"] > 0.02 and noise["mean"] == pytest.approx(0.0, abs=0.01)
    assert "Gaussian noise - pruning" in e.reason  # the failing part is named
    assert "more than quantization: yes" in e.reason
    assert "more than Gaussian noise: no" in e.reason


def test_without_noise_rows_the_claim_reads_quantization_alone_and_says_so():
    e = _claim_e(None)
    assert e.verdict == HOLDS and len(e.by_normalization["chance"].parts) == 1
    assert "no Gaussian-noise control in this table" in e.reason
