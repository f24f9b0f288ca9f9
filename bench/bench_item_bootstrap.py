"""Cost of the item bootstrap at paper size: time and peak memory of stage 1 (every run's
metric on B item resamples) and of the join of the per-example table onto the runs.

    python bench/bench_item_bootstrap.py --rows 1e7            # a tenth of paper size
    python bench/bench_item_bootstrap.py --rows 1e8 --resamples 2000

A simulated study of ``levels`` evaluation sets of ``examples`` examples (``per_item`` per
knowledge item), each scored by enough runs to reach ``rows`` example rows, binary scores.
Stage 1 (``run_replicates``) is timed on the runs' arrays; the join
(``examples_by_run``: which run each example row belongs to, sorted by example) on a
per-example frame with categorical key columns, as a Parquet reader with dictionary
columns gives it. Peak memory is the process's resident high-water mark (``VmHWM``).
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

from pipeline.analysis.resample import examples_by_run, run_index, run_replicates
from pipeline.analysis.weighted import Examples


def _peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def study(rows: int, levels: int, examples: int) -> tuple[pd.DataFrame, int]:
    runs_per_level = max(2, rows // (levels * examples))
    records = []
    for level in range(levels):
        for run in range(runs_per_level):
            records.append(
                {
                    "setting": "s",
                    "model": "m",
                    "task": f"t{level}",
                    "difficulty": "d",
                    "compression": "dense" if run == 0 else f"magnitude-{run}",
                    "mode": "dense" if run == 0 else "sparse",
                    "seed": 0,
                    "metric": "accuracy",
                    "value": 0.0,
                    "chance": 0.5,
                }
            )
    return pd.DataFrame(records), runs_per_level


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=float, default=1e7)
    parser.add_argument("--levels", type=int, default=40)
    parser.add_argument("--examples", type=int, default=5000)
    parser.add_argument("--per-item", type=int, default=5)
    parser.add_argument("--resamples", type=int, default=2000)
    parser.add_argument("--join", action="store_true", help="also time examples_by_run")
    args = parser.parse_args()
    normalized, runs = study(int(args.rows), args.levels, args.examples)
    n = args.examples
    total = len(normalized) * n
    print(f"{len(normalized)} runs x {n} examples = {total:.3g} example rows, B = {args.resamples}")
    rng = np.random.default_rng(0)
    items = np.arange(n) // args.per_item
    ids = np.arange(n)
    nan = np.full(n, np.nan)
    scores = (rng.random((len(normalized), n)) < 0.7).astype(np.float64)
    per_run = [(ids, Examples(scores[i], nan, nan, []), items) for i in range(len(normalized))]
    print(f"scores in memory: {scores.nbytes / 2**30:.2f} GiB; peak so far {_peak_gib():.2f} GiB")
    start, cpu = time.perf_counter(), time.process_time()
    rep = run_replicates(
        normalized, None, args.resamples, per_run=per_run, index=run_index(normalized)
    )
    print(
        f"stage 1 (item bootstrap, every run): wall {time.perf_counter() - start:.1f} s, "
        f"CPU {time.process_time() - cpu:.1f} s; peak RSS {_peak_gib():.2f} GiB; "
        f"replicates {3 * rep.value.nbytes / 2**30:.2f} GiB"
    )
    if not args.join:
        return
    del per_run, rep
    keys = ["setting", "model", "task", "difficulty", "compression", "mode"]
    repeat = np.repeat(np.arange(len(normalized)), n)
    frame = pd.DataFrame({k: pd.Categorical(normalized[k].to_numpy()[repeat]) for k in keys})
    frame["seed"] = np.zeros(len(frame), dtype=np.int64)
    frame["example_id"] = np.tile(ids, len(normalized))
    frame["item_id"] = pd.Categorical(np.tile(items, len(normalized)).astype(str))
    frame["score"] = scores.ravel()
    frame["prediction"] = np.nan
    frame["target"] = np.nan
    del scores
    print(f"per-example frame built; peak RSS {_peak_gib():.2f} GiB")
    start, cpu = time.perf_counter(), time.process_time()
    examples_by_run(normalized, frame)
    print(
        f"join (examples_by_run): wall {time.perf_counter() - start:.1f} s, "
        f"CPU {time.process_time() - cpu:.1f} s; peak RSS {_peak_gib():.2f} GiB"
    )


if __name__ == "__main__":
    main()
