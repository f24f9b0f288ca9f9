"""A results table and an LMC table with the default study's shape, for drawing its figures.

Every run the default config plans (settings, tasks, levels, the scratch control, methods,
modes, seeds) gets a score; the scores are made up (a level's dense score falls with its
planted hardness, compressed scores fall with sparsity, faster on harder levels), so that
the figures' text, layout and axes can be read without running the study.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pipeline.analysis.levels import compression_axis
from pipeline.analysis.tables import normalize
from pipeline.figures.planned import planned_rows
from pipeline.study import Study, lmc_end_points
from pipeline.tasks.registry import TASKS
from tests.conftest import default

# Across tasks: (dense score, reference score); the gaps rank the tasks.
ACROSS = {
    "syn_sentiment": (0.86, 0.95),
    "syn_paraphrase": (0.72, 0.92),
    "syn_factcheck": (0.64, 0.95),
    "syn_xfactcheck": (0.58, 0.95),
    "syn_grammar": (0.62, 0.95),
}
HARD = {"fraction-0.1": 1.0, "lang-minority": 1.0, "book-closed": 1.0, "freq-rare": 1.0}


def results(config: dict[str, Any], seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = planned_rows(Study.from_config(config))
    values, references = [], []
    for row in rows.itertuples(index=False):
        scratch = config["models"][row.model]["source"] == "scratch"
        human = TASKS[row.task].human_score
        dense, reference = ACROSS.get(row.task, (0.75, human and 0.75 / (1 - human / 5)))
        if row.difficulty_axis != "task":
            reference = None
            dense -= 0.15 * HARD.get(row.difficulty, 0.0)
        hard = (1 - dense / 0.95) * 3 if reference else HARD.get(row.difficulty, 0.0)
        if scratch:
            dense = 0.05
        level = compression_axis(row.method, row.level)
        if level.kind == "quantization":
            drop = {8: 0.002, 4: 0.03, 3: 0.12}[int(level.x)] * (1 + hard)
        else:
            slope = 0.4 + 0.5 * hard + (0.3 if row.method == "random" else 0.0)
            slope *= {"sparse_to_dense": 0.6, "dense_freeze": 0.2}.get(row.mode, 1.0)
            drop = slope * level.x**2
        noise = 0.0 if row.mode == "zero_shot" else rng.normal(0, 0.01)
        values.append(max(dense * (1 - drop) + noise, 0.0))
        references.append(reference)
    return rows.drop(columns="normalized").assign(
        study="default",
        protocol_hash="p",
        protocol_json="{}",
        metric="accuracy",
        chance=0.5,
        value=values,
        reference_score=references,
    )


def normalized(config: dict[str, Any] | None = None) -> pd.DataFrame:
    return normalize(results(config or default()))


def lmc(config: dict[str, Any] | None = None) -> pd.DataFrame:
    """Loss and metric along the path between each planned LMC cell's end points (one seed
    each, as planned), with a bump that is larger on the harder level."""
    config = config or default()
    alphas = np.linspace(0, 1, config["lmc"]["alphas"])
    ends = pd.DataFrame(lmc_end_points(config))
    ends = ends[ends["mode"] == "sparse"]
    rows = []
    for end in ends.itertuples(index=False):
        bump = 0.08 + 0.25 * HARD.get(end.difficulty, 0.0)
        for seed in (end.seed,):
            loss = 0.5 + 0.1 * alphas + bump * np.sin(np.pi * alphas) + 0.01 * seed
            value = 0.7 - bump * np.sin(np.pi * alphas) - 0.005 * seed
            rows += [
                {
                    "model": end.model,
                    "task": end.task,
                    "difficulty": end.difficulty,
                    "compression": end.compression,
                    "seed": seed,
                    "alpha": a,
                    "loss": lo,
                    "metric": "mcc",
                    "value": v,
                    "loss_barrier": float((loss - (0.5 + 0.1 * alphas + 0.01 * seed)).max()),
                    "metric_barrier": float((value[0] - value).max()),
                }
                for a, lo, v in zip(alphas, loss, value, strict=True)
            ]
    return pd.DataFrame(rows)
