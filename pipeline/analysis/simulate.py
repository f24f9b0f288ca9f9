"""Simulated studies with a planted truth, to check that the statistics do what they say.

A simulated study is a results table, its per-example outcomes and the truth. Every run is
a binary classifier on its level's evaluation set: ``n_items`` knowledge items of
``per_item`` examples each. Its true accuracy is ``chance + (dense - chance) * g``, where
``g`` (the planted chance-corrected score) depends on the compression, mode and difficulty
(:func:`planted`), plus a pre-training-seed deviation shared by the fine-tuning seeds of
one pre-training seed (``pretrain_sd``) and a fine-tuning-seed deviation (``seed_sd``).
Examples are correct through a Gaussian copula: example j of item i has a latent
difficulty ``sqrt(icc) * item_i + sqrt(1 - icc) * example_j`` (intra-item correlation
``icc``), shared by every run of the level -- across seeds and pre-training seeds, as real
runs score one evaluation split -- with run-level noise on top (``pairing``). The truth of a
statistic is its value on the noise-free table (true accuracies), computed by the same code.

Many studies of one design share the skeleton (:func:`skeleton`); :func:`draw` makes one
study's scores as arrays, so simulation checks can run hundreds of studies in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import product
from typing import Any

import numpy as np

SPARSITIES = (0.2, 0.4, 0.6, 0.8)
BITS = (8, 4, 2)
LEVELS = {"fraction-1": 0.85, "fraction-0.25": 0.8}  # difficulty -> true dense accuracy
HARD = "fraction-0.25"
CHANCE = 0.5
QUANT_DROP = {8: 0.0, 4: 0.1, 2: 0.4}  # easier level's chance-corrected drop under RTN


@dataclass(frozen=True)
class Effects:
    """The planted truth (chance-corrected slopes); ``Effects.null()`` has none of the five
    effects. ``d_gap`` and ``e_gap`` are (d)'s and (e)'s statistics per unit of damage:
    random's (quantization's) harder/easier damage ratio is magnitude's (pruning's) minus
    them."""

    slope_easy: float = 0.3  # g = 1 - slope * sparsity, magnitude, sparse mode (a)
    slope_hard: float = 0.7  # (b): harder falls faster
    s2d_easy: float = 0.05  # (c): sparse-to-dense deficit slope, easy / hard level
    s2d_hard: float = 0.5
    freeze: float = 0.05  # (c): dense-with-freezing slope (it recovers)
    random_extra: float = 0.15  # random's easier level falls this much faster
    d_gap: float = 0.6  # (d)
    e_gap: float = 1.0  # (e)

    @classmethod
    def null(cls) -> Effects:
        return cls(0.0, 0.0, 0.2, 0.2, 0.2, 0.0, 0.0, 0.0)


def planted(effects: Effects, method: str, mode: str, x: float, hard: bool) -> float:
    """The true chance-corrected score g of one run."""
    if method == "dense":
        return 1.0
    slope = effects.slope_hard if hard else effects.slope_easy
    ratio = effects.slope_hard / effects.slope_easy if effects.slope_easy else 1.0
    if method == "rtn":
        drop = QUANT_DROP[int(x)]
        return 1 - drop * (max(ratio - effects.e_gap, 0.0) if hard else 1.0)
    if mode == "sparse_to_dense":
        return 1 - (effects.s2d_hard if hard else effects.s2d_easy) * x
    if mode == "dense_freeze":
        return 1 - effects.freeze * x
    if method == "random":
        easy = effects.slope_easy + effects.random_extra
        return 1 - easy * x * (max(ratio - effects.d_gap, 0.0) if hard else 1.0)
    return 1 - slope * x


def _runs() -> list[tuple[str, str, str, str, float]]:
    """(compression, method, level, mode, x) of every run of a cell, dense first."""
    runs = [("dense", "dense", "0", "dense", 0.0)]
    for x in SPARSITIES:
        level = f"{x:g}"
        for mode in ("sparse", "sparse_to_dense", "dense_freeze"):
            runs.append((f"magnitude-{level}", "magnitude", level, mode, x))
        runs.append((f"random-{level}", "random", level, "sparse", x))
    runs += [(f"rtn-{b}bit", "rtn", f"{b}bit", "sparse", float(b)) for b in BITS]
    return runs


def skeleton(
    seeds: int = 2,
    tasks: tuple[str, ...] = ("syn_a", "syn_b"),
    pretrain_seeds: int = 1,
) -> Any:
    """The results table of the design without scores (``x`` added). Each task is its own
    setting (``s_<task>``), so claims have per-setting estimates; with ``pretrain_seeds``
    > 1 the rows carry a ``pretrain_seed`` column."""
    import pandas as pd

    rows = []
    # Pre-training seed outermost: one pre-training seed's rows are the one-seed design's.
    for pretrain, task, difficulty, seed, run in product(
        range(pretrain_seeds), tasks, LEVELS, range(seeds), _runs()
    ):
        compression, method, level, mode, x = run
        rows.append(
            {
                "study": "sim",
                "setting": f"s_{task}",
                "model": "m",
                "task": task,
                "difficulty": difficulty,
                "difficulty_axis": "fraction",
                "difficulty_level": difficulty.split("-")[1],
                "compression": compression,
                "method": method,
                "level": level,
                "mode": mode,
                "seed": seed,
                "pretrain_seed": pretrain,
                "protocol_hash": "p",
                "protocol_json": "{}",
                "metric": "accuracy",
                "chance": CHANCE,
                "x": x,
            }
        )
    frame = pd.DataFrame(rows)
    return frame if pretrain_seeds > 1 else frame.drop(columns="pretrain_seed")


def true_accuracy(design: Any, effects: Effects) -> np.ndarray:
    dense = design["difficulty"].map(LEVELS).to_numpy(dtype=float)
    g = [
        planted(effects, m, mode, x, d == HARD)
        for m, mode, x, d in zip(
            design["method"], design["mode"], design["x"], design["difficulty"], strict=True
        )
    ]
    return CHANCE + (dense - CHANCE) * np.asarray(g)


@dataclass(frozen=True)
class Noise:
    """The design's noise: items per level, examples per item, intra-item correlation,
    run-level pairing, and the seed-level deviations (accuracy units)."""

    n_items: int = 200
    per_item: int = 3
    icc: float = 0.3
    pairing: float = 0.95
    seed_sd: float = 0.003
    pretrain_sd: float = 0.003


def draw(
    rng: np.random.Generator,
    design: Any,
    accuracy: np.ndarray,
    n_examples: int | None = None,
    noise: Noise = Noise(),
) -> tuple[np.ndarray, np.ndarray]:
    """One study: (observed accuracy per run, per-example 1/0 correct, runs x examples);
    ``n_examples`` (old callers) sets one example per item."""
    from scipy.special import ndtri

    if n_examples is not None:
        noise = replace(noise, n_items=n_examples, per_item=1)
    n = noise.n_items * noise.per_item
    level = design.groupby(["task", "difficulty"], sort=False).ngroup().to_numpy()
    levels = level.max() + 1
    items = np.repeat(rng.standard_normal((levels, noise.n_items)), noise.per_item, axis=1)
    shared = np.sqrt(noise.icc) * items + np.sqrt(1 - noise.icc) * rng.standard_normal((levels, n))
    # Pre-training deviation: shared by the fine-tuning seeds of one pre-training seed.
    p = accuracy + rng.normal(0, noise.seed_sd, len(accuracy))
    if "pretrain_seed" in design.columns:
        cell = design.groupby(
            ["task", "difficulty", "compression", "mode", "pretrain_seed"], sort=False, dropna=False
        ).ngroup()  # a model pre-trained once (null seed) is one group
        p = p + rng.normal(0, noise.pretrain_sd, cell.max() + 1)[cell.to_numpy()]
    p = np.clip(p, 0.01, 0.99)
    run_noise = rng.standard_normal((len(accuracy), n))
    latent = noise.pairing * shared[level] + np.sqrt(1 - noise.pairing**2) * run_noise
    correct = (latent < ndtri(p)[:, None]).astype(float)  # Phi(latent) < p
    return correct.mean(axis=1), correct


def item_ids(n_examples: int, per_item: int) -> np.ndarray:
    """The item of each example of a level (consecutive examples share an item)."""
    return np.arange(n_examples) // per_item


def examples_frame(design: Any, correct: np.ndarray, per_item: int = 1) -> Any:
    """The per-example table (``tables/examples.parquet``'s columns) of one drawn study,
    with ``item_id``."""
    import pandas as pd

    keys = [
        "study", "setting", "model", "task", "difficulty", "difficulty_axis",
        "difficulty_level", "compression", "method", "level", "mode", "seed", "metric",
    ]  # fmt: skip
    if "pretrain_seed" in design.columns:
        keys.append("pretrain_seed")
    n_runs, n = correct.shape
    repeat = np.repeat(np.arange(n_runs), n)
    frame = pd.DataFrame({k: design[k].to_numpy(dtype=object)[repeat] for k in keys})
    frame["seed"] = frame["seed"].astype("int64")
    frame["example_id"] = np.tile(np.arange(n), n_runs)
    frame["item_id"] = np.tile(item_ids(n, per_item), n_runs).astype(str)
    frame["score"] = correct.ravel()
    frame["prediction"] = np.nan
    frame["target"] = np.nan
    frame["stats"] = [[] for _ in range(len(frame))]
    return frame
