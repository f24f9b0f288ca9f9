"""Cost of the item bootstrap at paper size: wall time and peak memory of the verdict's
stage 1 (every run's metric on B item resamples) read from ``examples.parquet`` one level
at a time, as the verdict verb reads it (pipeline/analysis/examples_file.py).

    python bench/bench_item_bootstrap.py --rows 1e7                # a tenth of paper size
    python bench/bench_item_bootstrap.py --rows 1e8 --resamples 2000
    python bench/bench_item_bootstrap.py --rows 1e7 --in-memory    # stage 1 alone

A simulated study of ``levels`` evaluation sets of ``examples`` examples (``per_item`` per
knowledge item), each scored by enough runs to reach ``rows`` example rows, binary scores,
written (by a child process, so its memory is not counted) with the gathered table's
schema (pipeline/examples.py EXAMPLES_TABLE), one level after another. The measurement is
``run_replicates`` on an :class:`ExamplesFile`: per level a filtered scan, the join of its
rows onto its runs (``examples_by_run``) and the bootstrap. Peak memory is the process's
resident high-water mark (``ru_maxrss``); ``--in-memory`` times stage 1 alone on arrays.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.analysis.examples_file import ExamplesFile
from pipeline.analysis.resample import run_index, run_replicates
from pipeline.analysis.weighted import Examples

STRINGS = {"study": "bench", "model": "m", "difficulty_axis": "task", "metric": "accuracy"}


def _peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def study(rows: int, levels: int, examples: int) -> pd.DataFrame:
    """The normalized table's run keys: per level one dense run and compressed runs."""
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
    return pd.DataFrame(records)


def write(path: Path, normalized: pd.DataFrame, examples: int, per_item: int) -> None:
    """The per-example table of ``normalized``'s runs, level after level."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipeline.examples import EXAMPLES_TABLE

    rng = np.random.default_rng(0)
    ids = np.arange(examples)
    items = (ids // per_item).astype(str)
    with pq.ParquetWriter(path, EXAMPLES_TABLE) as writer:
        for _, runs in normalized.groupby("task", sort=False):
            n = len(runs) * examples
            run = np.repeat(np.arange(len(runs)), examples)

            def column(values: np.ndarray, codes: np.ndarray) -> pa.Array:
                return pa.DictionaryArray.from_arrays(codes, pa.array(values)).cast(pa.string())

            data = {}
            for field in EXAMPLES_TABLE:
                name = field.name
                if name in runs.columns and field.type == pa.string():
                    data[name] = column(runs[name].to_numpy(dtype=str), run)
                elif name in STRINGS or name in ("difficulty_level", "method", "level"):
                    data[name] = column(np.array([STRINGS.get(name, "x")]), np.zeros(n, int))
            data["seed"] = pa.array(np.zeros(n, dtype=np.int64))
            data["example_id"] = pa.array(np.tile(ids, len(runs)))
            data["item_id"] = column(items, np.tile(np.arange(examples), len(runs)))
            data["score"] = pa.array((rng.random(n) < 0.7).astype(np.float64))
            data["prediction"] = pa.array(np.full(n, np.nan))
            data["target"] = pa.array(np.full(n, np.nan))
            data["stats"] = pa.nulls(n, pa.list_(pa.float64()))
            writer.write_table(pa.table(data, schema=EXAMPLES_TABLE))


def in_memory(normalized: pd.DataFrame, examples: int, per_item: int, resamples: int) -> None:
    rng = np.random.default_rng(0)
    items, ids, nan = (
        np.arange(examples) // per_item,
        np.arange(examples),
        np.full(examples, np.nan),
    )
    scores = (rng.random((len(normalized), examples)) < 0.7).astype(np.float64)
    per_run = [(ids, Examples(scores[i], nan, nan, []), items) for i in range(len(normalized))]
    start, cpu = time.perf_counter(), time.process_time()
    run_replicates(normalized, None, resamples, per_run=per_run, index=run_index(normalized))
    print(
        f"stage 1 on arrays: wall {time.perf_counter() - start:.1f} s, "
        f"CPU {time.process_time() - cpu:.1f} s; peak RSS {_peak_gib():.2f} GiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=float, default=1e7)
    parser.add_argument("--levels", type=int, default=40)
    parser.add_argument("--examples", type=int, default=5000)
    parser.add_argument("--per-item", type=int, default=5)
    parser.add_argument("--resamples", type=int, default=2000)
    parser.add_argument("--file", type=Path, help="examples table (written if missing)")
    parser.add_argument("--in-memory", action="store_true", help="stage 1 on arrays only")
    args = parser.parse_args()
    normalized = study(int(args.rows), args.levels, args.examples)
    total = len(normalized) * args.examples
    print(
        f"{len(normalized)} runs x {args.examples} examples = {total:.3g} example rows, "
        f"B = {args.resamples}",
        flush=True,
    )
    if args.in_memory:
        in_memory(normalized, args.examples, args.per_item, args.resamples)
        return
    path = args.file or Path(f"/tmp/bench_examples_{total:.0e}.parquet")
    if not path.exists():
        start = time.perf_counter()
        child = multiprocessing.Process(
            target=write, args=(path, normalized, args.examples, args.per_item)
        )
        child.start()
        child.join()
        print(
            f"wrote {path} ({path.stat().st_size / 2**30:.2f} GiB) in "
            f"{time.perf_counter() - start:.0f} s",
            flush=True,
        )
    start, cpu = time.perf_counter(), time.process_time()
    rep = run_replicates(normalized, ExamplesFile(path), args.resamples)
    assert rep.has_examples.all()
    print(
        f"stage 1 from the file, level by level (scan, join, bootstrap): wall "
        f"{time.perf_counter() - start:.1f} s, CPU {time.process_time() - cpu:.1f} s; "
        f"peak RSS {_peak_gib():.2f} GiB (replicates {3 * rep.value.nbytes / 2**30:.2f} GiB)"
    )


if __name__ == "__main__":
    main()
