"""The full planted-truth suite: every claim at 0 (null), the margin and 1.5 x the margin,
400 simulated tables each at the default design (3 pre-training x 2 fine-tuning seeds, 200
items of 3 examples per level, intra-item correlation 0.3), B = 499.

    python bench/bench_stats_suite.py                       # 400 tables, B = 499
    python bench/bench_stats_suite.py --tables 100 --items 400 --claims bde
    python bench/bench_stats_suite.py --sizes margin --pretrain-seeds 5

Prints, per claim and size, the coverage of the 95% interval, the share of tables on which
the claim holds and on which it does not hold, the mean interval width and the CPU time
of the draw that judged it; the targets: coverage >= 90%, holds >= 80% at the margin and
<= 7.5% at 0, does not hold <= 7.5% at 1.5 x the margin. (b)-(e) share their null and
1.5 x margin tables (simcheck.tables_for). Tables are drawn and judged in chunks of
``--chunk`` to bound memory. The smoke version is tests/test_stats_simulated.py.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

from pipeline.analysis import simcheck
from pipeline.analysis.claims import CLAIMS
from pipeline.analysis.decide import FAILS, HOLDS
from pipeline.analysis.options import Analysis


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=400)
    parser.add_argument("--resamples", type=int, default=499)
    parser.add_argument("--items", type=int, default=200, help="items per level")
    parser.add_argument("--pretrain-seeds", type=int, default=3)
    parser.add_argument("--claims", default="".join(CLAIMS))
    parser.add_argument("--sizes", default="null,margin,1.5x margin")
    parser.add_argument("--chunk", type=int, default=100, help="tables per batch")
    args = parser.parse_args()
    analysis = Analysis(bootstrap_resamples=args.resamples, min_seeds=2)
    design = simcheck.Design()
    design = replace(
        design,
        pretrain_seeds=args.pretrain_seeds,
        noise=replace(design.noise, n_items=args.items),
    )
    sizes = simcheck.sizes(analysis)
    names = [n for n in args.sizes.split(",") if n]
    print(f"{args.tables} tables per condition, B = {args.resamples}, {design}", flush=True)
    print("claim | size | truth | coverage | holds | does not hold | width | CPU s", flush=True)
    for i, (tables, name) in enumerate(simcheck.plan(args.claims, names)):
        cpu = time.process_time()
        chunks = []
        for start in range(0, args.tables, args.chunk):
            n = min(args.chunk, args.tables - start)
            seed = 1000 * i + start  # every chunk its own draws, reruns identical
            chunks.append(simcheck.run(tables, sizes[name], n, analysis, design, seed))
        spent = time.process_time() - cpu
        for key in tables:
            if key not in args.claims:
                continue
            c = simcheck.merge([chunk[key] for chunk in chunks])
            width = float((c.highs - c.lows).mean())
            print(
                f"({key}) | {name} | {c.truth:+.3f} | {c.coverage:.1%} | {c.rate(HOLDS):.1%} | "
                f"{c.rate(FAILS):.1%} | {width:.3f} | {spent:.0f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
