"""Implant knowledge into a chosen set of a pre-trained masked LM's weights: the models of
the control studies, whose answer is known by construction (docs/controls.md).

Starting from a staged model (``of``), masked-LM training continues on the cloze prompts of
the hard level of ``syn_fact_recall`` (rare facts) and updates only the prunable backbone
weights of one region; embeddings, norms, biases and the LM head stay frozen:

* ``small``: the weights global magnitude pruning at ``threshold_sparsity`` removes (|w|
  below that sparsity's threshold τ), clamped to stay below τ, so pruning at τ removes
  exactly the implant and nothing more: the junk-DNA hypothesis made true;
* ``large``: the weights global magnitude pruning at ``threshold_sparsity`` keeps (with 0.9:
  the largest 10%), clamped to stay above it, so no tested sparsity up to it touches them;
* ``random``: a random subset with the small region's count in every matrix, each weight
  clamped to its side of τ, so magnitude pruning removes the same weights as before.

A second term (KL divergence to the starting model's distribution at the mask, weight
``keep_weight``) keeps the easy level's predictions where they were. Training stops once
the hard level's recall reaches the easy level's minus ``stop_below_easy``, so the three
regions receive the same amount of knowledge and differ only in where it sits.
``implant.json`` beside the model records whether the implant took (``took``).
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Any

from pipeline.io import read_json, write_json

REGIONS = ("small", "large", "random")
TASK = "syn_fact_recall"
THRESHOLD_SPARSITY = 0.3
DEFAULTS: dict[str, Any] = {  # the config's ``implant:`` block
    "levels": {"easy": "frequent", "hard": "rare"},
    "lr": 0.003,
    "max_steps": 1500,
    "keep_weight": 10.0,
    "stop_below_easy": 0.02,
    "seed": 0,
}
GAIN_SE = 5.0  # the hard level must rise by at least this many standard errors
NOISE_SE = 2.0  # the easy level may move by at most this many standard errors
REPORT = "implant.json"


def region_masks(params: dict[str, Any], region: str, sparsity: float, seed: int) -> dict:
    """Per prunable matrix, True where the implant may change the weight."""
    import torch

    from pipeline.compress.magnitude import global_magnitude_masks

    kept = global_magnitude_masks(params, sparsity)
    if region == "small":
        return {name: ~mask for name, mask in kept.items()}
    if region == "large":
        return kept
    generator = torch.Generator().manual_seed(seed)
    masks = {}
    for name, mask in kept.items():
        chosen = torch.zeros(mask.numel(), dtype=torch.bool)
        chosen[torch.randperm(mask.numel(), generator=generator)[: int((~mask).sum())]] = True
        masks[name] = chosen.view_as(mask)
    return masks


class MagnitudeBands:
    """Keeps every implanted weight on its side of the magnitude threshold: weights below it
    stay at or below the largest pruned magnitude, weights above it at or above the smallest
    kept one, with their sign (so global magnitude pruning at the threshold sparsity selects
    the same weights before and after the implant)."""

    def __init__(self, params: dict[str, Any], sparsity: float) -> None:
        from pipeline.compress.magnitude import global_magnitude_masks

        self.kept = global_magnitude_masks(params, sparsity)
        pruned = [p.detach().abs()[~self.kept[n]] for n, p in params.items()]
        above = [p.detach().abs()[self.kept[n]] for n, p in params.items()]
        self.tau_below = max(float(t.max()) for t in pruned if t.numel())
        self.tau_above = min(float(t.min()) for t in above if t.numel())
        self.sign = {n: p.detach().sign() for n, p in params.items()}

    def clamp_(self, params: dict[str, Any], masks: dict[str, Any]) -> None:
        import torch

        with torch.no_grad():
            for name, p in params.items():
                below = masks[name] & ~self.kept[name]
                above = masks[name] & self.kept[name]
                p[below] = p[below].clamp(-self.tau_below, self.tau_below)
                sign = self.sign[name][above]
                p[above] = sign * (sign * p[above]).clamp(min=self.tau_above)


def _se(p: float, n: int) -> float:
    """Standard error of an accuracy of ``n`` items (the evaluation noise of a score)."""
    return math.sqrt(max(p * (1 - p), 1e-12) / n)


def _paired_se(after: list[int], before: list[int]) -> float:
    """Standard error of a mean per-item difference (the same items read twice)."""
    import numpy as np

    d = np.asarray(after, float) - np.asarray(before, float)
    return float(d.std(ddof=1) / math.sqrt(len(d))) if len(d) > 1 else float("nan")


def _cloze_batch(adapter: Any, tokenizer: Any, level: Any, rows: list[dict]) -> dict:
    """One level's facts as one batch: inputs, the mask positions, the true object's token
    (``labels``), the candidates' tokens and the true candidate's index."""
    import torch

    examples = adapter.encode(tokenizer, level, rows, 64)
    batch = adapter.collate(tokenizer, examples)
    return {
        **batch,
        "position": torch.tensor([e["position"] for e in examples]),
        "target": batch["labels"][batch["labels"] != -100],
        "candidates": torch.tensor([e["candidates"] for e in examples]),
        "answer": torch.tensor([e["answer"] for e in examples]),
    }


def _correct(adapter: Any, model: Any, tokenizer: Any, level: Any, rows: list) -> list[int]:
    """Per fact, 1 if the candidate ranked first is the true object (the study's readout)."""
    result = adapter.evaluate(model, tokenizer, level, rows, 64, len(rows))
    return [int(score) for score in result["examples"]["score"]]


def _recall(logits: Any, batch: dict) -> float:
    return float(
        (logits.gather(1, batch["candidates"]).argmax(-1) == batch["answer"]).float().mean()
    )


def _train(model: Any, region: dict, bands: MagnitudeBands, batches: dict, opts: dict) -> tuple:
    """Masked-LM steps on the hard level (the whole level is one batch) plus the KL term
    on the easy level, gradients masked to the region and weights clamped to their band,
    until the hard level's recall reaches the easy level's (as it is at that step) minus
    ``stop_below_easy``: (steps taken, the last target, whether it was reached)."""
    import torch
    import torch.nn.functional as F

    from pipeline.finetune.adapters.prompt import mask_logits

    params = region["params"]
    hard, easy = batches["hard"], batches["easy"]
    with torch.no_grad():
        teacher = F.log_softmax(mask_logits(model, easy), -1)
    optimizer = torch.optim.Adam(list(params.values()), lr=opts["lr"])
    step = 0
    while True:
        hard_logits, easy_logits = mask_logits(model, hard), mask_logits(model, easy)
        target = _recall(easy_logits, easy) - opts["stop_below_easy"]
        if _recall(hard_logits, hard) >= target:
            return step, target, True
        if step == opts["max_steps"]:
            return step, target, False
        loss = F.cross_entropy(hard_logits, hard["target"])
        keep = F.kl_div(
            F.log_softmax(easy_logits, -1), teacher, log_target=True, reduction="batchmean"
        )
        (loss + opts["keep_weight"] * keep).backward()
        for name, p in params.items():
            p.grad.mul_(region["masks"][name])
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        bands.clamp_(params, region["masks"])
        step += 1


def implant(spec: dict[str, Any], base_dir: Path, world_dir: Path, out_dir: Path) -> dict:
    """The staged model ``base_dir`` with the hard level's facts implanted into the spec's
    region, saved to ``out_dir`` with its report (returned)."""
    import torch
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    from pipeline.compress.prunable import prunable_parameters
    from pipeline.finetune.adapters.cloze import MaskedLMCloze
    from pipeline.tasks.registry import get_task

    if spec.get("into") not in REGIONS:
        raise ValueError(f"implant 'into': {spec.get('into')!r} is not one of {list(REGIONS)}")
    opts = {**DEFAULTS, **spec.get("implant", {})}
    opts["levels"] = {**DEFAULTS["levels"], **opts["levels"]}
    spec = {**spec, "threshold_sparsity": spec.get("threshold_sparsity", THRESHOLD_SPARSITY)}
    torch.manual_seed(opts["seed"])
    tokenizer = AutoTokenizer.from_pretrained(str(base_dir))
    model = AutoModelForMaskedLM.from_pretrained(str(base_dir))
    model.eval()  # no dropout: the stopping rule reads the same forward pass it trains on
    adapter, task = MaskedLMCloze(), get_task(TASK)
    levels = {}
    for key in ("easy", "hard"):
        level = task.configure(f"freq-{opts['levels'][key]}", {})
        levels[key] = (level, level.load_split("validation", world_dir))
    before = {k: _correct(adapter, model, tokenizer, *levels[k]) for k in levels}

    params = prunable_parameters(model)
    region = {
        "params": params,
        "masks": region_masks(params, spec["into"], spec["threshold_sparsity"], opts["seed"]),
    }
    bands = MagnitudeBands(params, spec["threshold_sparsity"])
    for p in model.parameters():
        p.requires_grad_(False)
    for p in params.values():
        p.requires_grad_(True)
    batches = {k: _cloze_batch(adapter, tokenizer, *levels[k]) for k in levels}
    steps, target, reached = _train(model, region, bands, batches, opts)
    after = {k: _correct(adapter, model, tokenizer, *levels[k]) for k in levels}

    model.save_pretrained(str(out_dir))
    tokenizer.save_pretrained(str(out_dir))
    if (Path(base_dir) / "pretrain.json").exists():
        shutil.copy(Path(base_dir) / "pretrain.json", Path(out_dir) / "pretrain.json")
    report = _report(spec, opts, before, after, region, bands)
    report.update(steps=steps, target_recall=target, target_reached=reached)
    write_json(Path(out_dir) / REPORT, report)
    return report


def _report(
    spec: dict, opts: dict, before: dict, after: dict, region: dict, bands: MagnitudeBands
) -> dict:
    """Both levels before and after (per fact too), the checks and whether it took."""
    levels = {}
    for key in ("easy", "hard"):
        n = len(before[key])
        b, a = sum(before[key]) / n, sum(after[key]) / n
        levels[key] = {
            "frequency": opts["levels"][key],
            "n": n,
            "before": b,
            "after": a,
            "change": a - b,
            "se_before": _se(b, n),
            "se_after": _se(a, n),
            "se_change_paired": _paired_se(after[key], before[key]),
            "correct_before": before[key],
            "correct_after": after[key],
        }
    hard, easy = levels["hard"], levels["easy"]
    checks = {
        # the hard level's rise, in standard errors of its implanted score (the headroom
        # gate's noise: a score read on n facts)
        "hard_gain_se": hard["change"] / hard["se_after"],
        "hard_gain_at_least_5_se": hard["change"] >= GAIN_SE * hard["se_after"],
        "easy_change_se": easy["change"] / easy["se_before"],
        "easy_within_noise": abs(easy["change"]) <= NOISE_SE * easy["se_before"],
        "hard_at_or_below_easy": hard["after"] <= easy["after"],
    }
    total = sum(p.numel() for p in region["params"].values())
    chosen = sum(int(m.sum()) for m in region["masks"].values())
    return {
        "of": spec["of"],
        "into": spec["into"],
        "threshold_sparsity": spec["threshold_sparsity"],
        "task": TASK,
        "options": opts,
        "implanted_weights": chosen,
        "implanted_fraction": chosen / total,
        "tau_below": bands.tau_below,
        "tau_above": bands.tau_above,
        "levels": levels,
        "checks": checks,
        "took": all(
            checks[k]
            for k in ("hard_gain_at_least_5_se", "easy_within_noise", "hard_at_or_below_easy")
        ),
    }


def read_report(model_dir: Path) -> dict:
    return read_json(Path(model_dir) / REPORT)
