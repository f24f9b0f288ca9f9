"""Simulated studies with a planted truth, to check that the statistics do what they say.

A simulated study is a results table, its per-example outcomes and the truth. Every run is
a binary classifier on its level's ``n_examples`` evaluation examples; its true accuracy is
``chance + (dense - chance) * g``, where ``g`` (the planted chance-corrected score) depends
on the compression, mode and difficulty (:func:`planted`), plus a seed-level deviation
(``seed_sd``) for every run. Examples are correct through a Gaussian copula: example i of a
level has a latent difficulty shared by every run of the level, across seeds too
(correlation ``pairing``), the way real runs score one evaluation split. The truth of a
statistic is its value on the noise-free table (true accuracies), computed by the same code.

Many studies of one design share the skeleton (:func:`skeleton`); :func:`draw` makes one
study's scores as arrays, so simulation checks can run hundreds of studies in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

SPARSITIES = (0.2, 0.4, 0.6, 0.8)
BITS = (8, 4, 2)
LEVELS = {"fraction-1": 0.85, "fraction-0.25": 0.8}  # difficulty -> true dense accuracy
HARD = "fraction-0.25"
CHANCE = 0.5


@dataclass(frozen=True)
class Effects:
    """The planted truth; ``Effects.null()`` has none of the five effects."""

    slope_easy: float = 0.3  # g = 1 - slope * sparsity, magnitude, sparse mode (a)
    slope_hard: float = 0.7  # (b): harder falls faster
    s2d_easy: float = 0.05  # (c): sparse-to-dense deficit slope, easy / hard level
    s2d_hard: float = 0.5
    freeze: float = 0.05  # (c): dense-with-freezing slope (it recovers)
    random_extra: float = 0.15  # (d): random falls this much faster than magnitude
    quant_ordered: bool = False  # (e): quantization orders by difficulty like pruning

    @classmethod
    def null(cls) -> Effects:
        return cls(0.0, 0.0, 0.2, 0.2, 0.2, 0.0, True)


def planted(effects: Effects, method: str, mode: str, x: float, hard: bool) -> float:
    """The true chance-corrected score g of one run."""
    if method == "dense":
        return 1.0
    slope = effects.slope_hard if hard else effects.slope_easy
    if method == "rtn":
        drop = {8: 0.0, 4: 0.1, 2: 0.4}[int(x)]
        # Ordered like pruning: the harder level loses more, in pruning's proportion.
        scale = slope / effects.slope_easy if effects.quant_ordered and effects.slope_easy else 1
        return 1 - drop * scale
    if mode == "sparse_to_dense":
        return 1 - (effects.s2d_hard if hard else effects.s2d_easy) * x
    if mode == "dense_freeze":
        return 1 - effects.freeze * x
    base = 1 - slope * x
    return base - effects.random_extra * x if method == "random" else base


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


def skeleton(seeds: int = 3, tasks: tuple[str, ...] = ("syn_a", "syn_b")) -> Any:
    """The results table of the design without scores (``x`` and ``is_hard`` added)."""
    import pandas as pd

    rows = []
    for task in tasks:
        for difficulty in LEVELS:
            for seed in range(seeds):
                for compression, method, level, mode, x in _runs():
                    rows.append(
                        {
                            "study": "sim",
                            "setting": "data_fraction",
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
                            "protocol_hash": "p",
                            "protocol_json": "{}",
                            "metric": "accuracy",
                            "chance": CHANCE,
                            "x": x,
                        }
                    )
    return pd.DataFrame(rows)


def true_accuracy(design: Any, effects: Effects) -> np.ndarray:
    dense = design["difficulty"].map(LEVELS).to_numpy(dtype=float)
    g = [
        planted(effects, m, mode, x, d == HARD)
        for m, mode, x, d in zip(
            design["method"], design["mode"], design["x"], design["difficulty"], strict=True
        )
    ]
    return CHANCE + (dense - CHANCE) * np.asarray(g)


def draw(
    rng: np.random.Generator,
    design: Any,
    accuracy: np.ndarray,
    n_examples: int = 400,
    seed_sd: float = 0.01,
    pairing: float = 0.8,
) -> tuple[np.ndarray, np.ndarray]:
    """One study: (observed accuracy per run, per-example 1/0 correct, runs x examples)."""
    from scipy.special import ndtri

    level = design.groupby(["task", "difficulty"], sort=False).ngroup().to_numpy()
    shared = rng.standard_normal((level.max() + 1, n_examples))[level]
    p = np.clip(accuracy + rng.normal(0, seed_sd, len(accuracy)), 0.01, 0.99)
    latent = pairing * shared + np.sqrt(1 - pairing**2) * rng.standard_normal(shared.shape)
    correct = (latent < ndtri(p)[:, None]).astype(float)  # Phi(latent) < p
    return correct.mean(axis=1), correct


def examples_frame(design: Any, correct: np.ndarray) -> Any:
    """The per-example table (``tables/examples.parquet``'s columns) of one drawn study."""
    import pandas as pd

    keys = [
        "study", "setting", "model", "task", "difficulty", "difficulty_axis",
        "difficulty_level", "compression", "method", "level", "mode", "seed", "metric",
    ]  # fmt: skip
    n_runs, n = correct.shape
    repeat = np.repeat(np.arange(n_runs), n)
    frame = pd.DataFrame({k: design[k].to_numpy(dtype=object)[repeat] for k in keys})
    frame["seed"] = frame["seed"].astype("int64")
    frame["example_id"] = np.tile(np.arange(n), n_runs)
    frame["score"] = correct.ravel()
    frame["prediction"] = np.nan
    frame["target"] = np.nan
    frame["stats"] = [[] for _ in range(len(frame))]
    return frame
