"""Hierarchical, paired bootstrap of the normalized scores: seeds, then knowledge items.

Two stages (Davison & Hinkley 1997, §3.8; docs/statistics.md):

1. *Items.* All runs of one level (setting, model, task, difficulty) -- every
   compression level, transfer mode and seed, and the dense runs -- scored the same
   evaluation examples (the split does not depend on the seed). The unit resampled is the
   knowledge item an example asks about (``item_id``: a fact, an adjective, an object;
   forty questions about one fact are one fact), a cluster bootstrap (Davison & Hinkley
   1997, §3.8; Field & Welsh 2007): an item drawn twice brings all its examples twice.
   Without ``item_id`` each example is its own item. One count matrix ``W`` (B x n, each
   example weighted by its item's multinomial count) per level is applied to every one of
   its runs, so compressed and dense runs, any two compression levels and any two seeds
   are compared on the same resampled items (paired). Each run's metric is recomputed on
   each resample (:mod:`pipeline.analysis.weighted`), then divided by its dense run's on
   the same resample: B replicates of each run's two normalized scores.
2. *Seeds.* A curve point (one compression level of one curve) is the mean over its seeds.
   Replicate b draws k seeds with replacement and averages their runs' example replicate
   b. Seeds and examples are crossed (every seed scores every example), so this is Owen's
   (2007) pigeonhole bootstrap: the example resample is shared by the drawn seeds, because
   a new evaluation set would be shared by them too; resampling examples independently per
   seed would average the evaluation-set noise away and give intervals that are too
   narrow. The seed stage's deviations are widened by sqrt(k/(k-1)), the usual correction
   of the bootstrap's plug-in variance for few seeds. All points with the same number of
   seeds share the seed draws (paired). A
   deterministic cell (zero-shot, run with one seed) skips this stage: its points vary
   only by their examples.

Runs without per-example scores enter as constants (their observed score); then only seeds
vary, and a point with one seed and no examples has no interval.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from pipeline.analysis.weighted import Examples, weighted_metrics

RUN_KEYS = ["setting", "model", "task", "difficulty", "compression", "mode", "seed"]
CELL_KEYS = ["setting", "model", "task", "difficulty", "seed"]
LEVEL_KEYS = ["setting", "model", "task", "difficulty"]  # runs sharing one evaluation set
# A level as the gates judge it and the verdict lists it: zero-shot apart from fine-tuned.
GATE_KEYS = [*LEVEL_KEYS, "regime"]
NORMALIZATIONS = ("ratio", "chance")
NORMALIZED_COLUMN = {"ratio": "normalized", "chance": "normalized_chance"}
DENSE = "dense"
ZERO_SHOT = "zero_shot"
PRETRAIN = "pretrain_seed"  # the top level of the design where a study varies it
BUDGET = "budget"  # x the protocol's training steps: a run (and dense run) of its own
_CHUNK = 256  # points per gather in stage 2 (bounds memory at paper scale)


@lru_cache(maxsize=1)
def _blas() -> Any:
    """The process's BLAS libraries, found once: threadpoolctl scans every loaded library
    on each search, which cost more than the products it limits."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _one_blas_thread() -> Any:
    return _blas().limit(limits=1, user_api="blas")


def _rng(base: int, key: Any) -> np.random.Generator:
    """A generator fixed by the analysis seed and a key: reruns give the same intervals."""
    return np.random.default_rng([base, zlib.crc32(repr(key).encode())])


@dataclass
class RunReplicates:
    """Stage 1, per run (row ``i`` of the normalized table): raw metric, ratio and
    chance-corrected score on each of B example resamples; ``has_examples[i]`` False where
    the run had no per-example scores (its rows are constant)."""

    value: np.ndarray
    ratio: np.ndarray
    chance: np.ndarray
    has_examples: np.ndarray

    def normalized(self, name: str) -> np.ndarray:
        return {"ratio": self.ratio, "chance": self.chance}[name]


def pretrain_seeds(frame: Any) -> list:
    """The distinct pre-training seeds of a table (empty without the column)."""
    if PRETRAIN not in frame.columns:
        return []
    return sorted(frame[PRETRAIN].dropna().unique().tolist())


def resample_counts(rng: np.random.Generator, n: int, resamples: int) -> np.ndarray:
    """B x n counts: how often each of n examples is drawn in each of B resamples of size n
    (multinomial; drawn as indices and counted, ten times faster than rng.multinomial)."""
    drawn = rng.integers(0, n, size=(resamples, n)) + n * np.arange(resamples)[:, None]
    return np.bincount(drawn.ravel(), minlength=resamples * n).reshape(resamples, n)


def budget_keys(keys: list[str], *frames: Any) -> list[str]:
    """``keys`` plus ``budget`` where every frame has the column: a larger training budget
    is a run (and a dense run) of its own; tables without the column are all at 1x."""
    return keys + [BUDGET] * all(BUDGET in f.columns for f in frames)


def at_base_budget(frame: Any) -> np.ndarray:
    """Rows trained at the protocol's own budget (1x; every row of a table without a
    ``budget`` column): what the gates and every claim but (c) read."""
    if BUDGET not in frame.columns:
        return np.ones(len(frame), dtype=bool)
    return frame[BUDGET].fillna(1.0).to_numpy(dtype=float) == 1.0


def regime(frame: Any) -> np.ndarray:
    """Each row's regime: ``zero_shot`` for a zero-shot run, else ``fine_tuned``."""
    return np.where(frame["mode"] == ZERO_SHOT, ZERO_SHOT, "fine_tuned")


def dense_rows(frame: Any) -> np.ndarray:
    """Per row, the row index of its cell's dense run of the same regime (and budget)."""
    import pandas as pd

    cell = budget_keys(CELL_KEYS, frame)
    keyed = frame[cell].assign(regime=regime(frame), row=np.arange(len(frame)))
    is_dense = (frame["compression"] == DENSE).to_numpy() & frame["mode"].isin(
        [DENSE, ZERO_SHOT]
    ).to_numpy()
    dense = keyed[is_dense].drop_duplicates(cell + ["regime"])
    merged = pd.merge(keyed, dense, on=cell + ["regime"], how="left", suffixes=("", "_dense"))
    if merged["row_dense"].isna().any():
        missing = merged[merged["row_dense"].isna()][cell].drop_duplicates()
        raise ValueError(f"no dense run for cells: {missing.to_dict('records')}")
    return merged["row_dense"].to_numpy(dtype=int)


def item_counts(rng: np.random.Generator, items: np.ndarray, resamples: int) -> np.ndarray:
    """B x n example weights of a cluster bootstrap: each example weighted by how often its
    item (``items``: one integer code per example, 0..k-1) is drawn among k items."""
    counts = resample_counts(rng, int(items.max()) + 1, resamples)
    return counts[:, items]


def examples_by_run(normalized: Any, examples: Any) -> list:
    """Per run (row of ``normalized``): (example_ids, Examples, item codes) sorted by
    example_id, or None where the run has no per-example rows. Item codes number the
    distinct ``item_id`` values of the table (each example its own item without it)."""
    import pandas as pd

    n_runs = len(normalized)
    per_run: list = [None] * n_runs
    if examples is None or not len(examples):
        return per_run
    # Which run each example row belongs to, without joining the (large) examples table:
    # factorize its run keys once and look the distinct keys up among the runs.
    run_keys = budget_keys(RUN_KEYS, normalized, examples)
    codes, keys = pd.MultiIndex.from_frame(examples[run_keys]).factorize()
    lookup = {tuple(k): i for i, k in enumerate(normalized[run_keys].itertuples(index=False))}
    run_of_key = np.array([lookup.get(tuple(k), -1) for k in keys], dtype=int)
    row = run_of_key[codes]
    keep = np.flatnonzero(row >= 0)
    order = keep[np.lexsort((examples["example_id"].to_numpy()[keep], row[keep]))]
    row = row[order]
    ids = examples["example_id"].to_numpy()[order]
    score = examples["score"].to_numpy(dtype=float)[order]
    prediction = examples["prediction"].to_numpy(dtype=float)[order]
    target = examples["target"].to_numpy(dtype=float)[order]
    stats = examples["stats"].to_numpy()[order] if "stats" in examples.columns else None
    if "item_id" in examples.columns and examples["item_id"].notna().all():
        items = pd.factorize(examples["item_id"].to_numpy()[order])[0]
    else:  # old tables and hub tasks: every example is its own item
        items = None
    bounds = np.flatnonzero(np.diff(row)) + 1
    for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, len(row)], strict=True):
        per_run[row[lo]] = (
            ids[lo:hi],
            Examples(
                score[lo:hi],
                prediction[lo:hi],
                target[lo:hi],
                list(stats[lo:hi]) if stats is not None else [],
            ),
            _dense_codes(items[lo:hi] if items is not None else ids[lo:hi]),
        )
    return per_run


def _dense_codes(items: np.ndarray) -> np.ndarray:
    """Items renumbered 0..k-1 within a run (the count matrix has one column per item)."""
    return np.unique(items, return_inverse=True)[1].reshape(-1)


@dataclass(frozen=True)
class RunIndex:
    """Per row of the normalized table: its dense run's row and its level's code (runs of
    a level share an evaluation set), with each level's key."""

    dense: np.ndarray
    level: np.ndarray
    level_keys: list


def run_index(normalized: Any) -> RunIndex:
    import pandas as pd

    codes, keys = pd.MultiIndex.from_frame(normalized[LEVEL_KEYS]).factorize()
    return RunIndex(dense_rows(normalized), codes, [tuple(k) for k in keys])


def run_replicates(
    normalized: Any,
    examples: Any | None,
    resamples: int,
    seed: int = 0,
    per_run: list | None = None,
    index: RunIndex | None = None,
) -> RunReplicates:
    """Stage 1 for every row of the normalized table (see the module docstring);
    ``per_run`` (as :func:`examples_by_run` returns it) and ``index`` (:func:`run_index`)
    can be given by a caller that already holds them (simulation checks)."""
    from pipeline.analysis.examples_file import ExamplesFile

    n_runs = len(normalized)
    value = np.repeat(normalized["value"].to_numpy(dtype=float)[:, None], resamples, axis=1)
    has = np.zeros(n_runs, dtype=bool)
    source = examples if isinstance(examples, ExamplesFile) else None
    if per_run is None:
        per_run = examples_by_run(normalized, None if source else examples)
    index = index or run_index(normalized)
    metric = normalized["metric"].to_numpy()
    for code, key in enumerate(index.level_keys):
        level_rows = np.flatnonzero(index.level == code)
        if source is not None:  # one level's examples at a time (examples_file.py)
            frame = source.read(dict(zip(LEVEL_KEYS, key, strict=True)))
            per_run_level = examples_by_run(normalized.iloc[level_rows], frame)
            del frame
            for r, got in zip(level_rows, per_run_level, strict=True):
                per_run[r] = got
        rows = [r for r in level_rows if per_run[r] is not None]
        if not rows:
            continue
        ids = per_run[rows[0]][0]
        for r in rows:
            if not np.array_equal(per_run[r][0], ids):
                run = normalized.iloc[r]
                raise ValueError(
                    f"examples of run {run[RUN_KEYS].to_dict()}: other example_ids than the "
                    "other runs of its level (pairing needs the same evaluation set)"
                )
        items = per_run[rows[0]][2] if len(per_run[rows[0]]) > 2 else _dense_codes(ids)
        w = item_counts(_rng(seed, key), items, resamples)
        # Many small matrix products: BLAS threads cost more to start than they save.
        with _one_blas_thread():
            value[rows] = weighted_metrics(
                [metric[r] for r in rows], [per_run[r][1] for r in rows], w
            )
        has[rows] = True
        if source is not None:
            for r in rows:
                per_run[r] = None  # this level is done: free its examples
    dense = index.dense
    chance = (
        normalized["chance"].to_numpy(dtype=float)
        if "chance" in normalized.columns
        else np.full(n_runs, np.nan)
    )[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = value / value[dense]
        corrected = (value - chance) / (value[dense] - chance)
    own = dense == np.arange(n_runs)
    ratio[own], corrected[own] = 1.0, 1.0
    return RunReplicates(value, ratio, corrected, has | has[dense])


def seed_mean_replicates(
    run_rows: list[np.ndarray], rep: np.ndarray, seed: int = 0, draw_seeds: bool = True
) -> np.ndarray:
    """Stage 2: per point (``run_rows[p]``: its runs' rows, one per seed, sorted by seed),
    B replicates of the mean over seeds. Points with the same seed count and seeds share
    the draws (paired); ``rep`` is a stage-1 array (runs x B). ``draw_seeds`` False keeps
    every seed in every replicate (the item resample alone): inside one pre-training seed of
    several, whose spread already holds the fine-tuning seeds' variance (the top level's
    units carry every level below them: the ultimate-cluster estimator, Hansen, Hurwitz &
    Madow 1953), so the replicates measure the item noise only."""
    resamples = rep.shape[1]
    out = np.empty((len(run_rows), resamples))
    by_k: dict[int, list[int]] = {}
    for p, rows in enumerate(run_rows):
        by_k.setdefault(len(rows), []).append(p)
    for k, points in by_k.items():
        matrix = np.stack([run_rows[p] for p in points])  # points x k
        if not draw_seeds:
            for start in range(0, len(points), _CHUNK):
                block = matrix[start : start + _CHUNK]
                out[points[start : start + _CHUNK]] = rep[block].mean(axis=1)
            continue
        if k == 1:
            out[points] = rep[matrix[:, 0]]
            continue
        idx = _rng(seed, ("seeds", k)).integers(0, k, size=(resamples, k))
        inner = np.arange(resamples)[:, None]  # replicate b: example resample b, every seed
        # The mean of k resampled seeds varies by (k-1)/k of the seed variance only (the
        # plug-in variance): its deviation from the all-seed mean is widened by
        # sqrt(k/(k-1)) so the seed stage has the unbiased variance (Davison & Hinkley
        # 1997, §3.8, adjusted resampling). The example stage is left as drawn.
        widen = np.sqrt(k / (k - 1))
        for start in range(0, len(points), _CHUNK):
            block = matrix[start : start + _CHUNK]  # c x k
            drawn = rep[block[:, idx], inner[None]].mean(axis=2)  # c x B: drawn seeds
            centre = rep[block].mean(axis=1)  # c x B: every seed, same example resample
            out[points[start : start + _CHUNK]] = centre + widen * (drawn - centre)
    return out
