"""Gather one-row JSON records (run records or LMC paths) into one Parquet table; with
--examples-out, also every run's per-example outcomes (the ``examples.parquet`` next to each
run record) into one table keyed by the run's identity (pipeline/examples.py). With
--analysis, the first collect of a results folder records the analysis settings' hash
(pipeline/analysis/provenance.py): the margin is fixed before any statistic is seen."""

import argparse
from pathlib import Path

HELP = "gather JSON records into a Parquet table"
EXAMPLES_FILE = "examples.parquet"  # beside each metrics.json (pipeline/paths.py EXAMPLES)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("records", nargs="+", type=Path, help="record files (JSON)")
    p.add_argument("--out", required=True, type=Path, help="Parquet table")
    p.add_argument(
        "--examples-out",
        type=Path,
        help="also gather each run's per-example outcomes into this Parquet table",
    )
    p.add_argument(
        "--analysis",
        help="the config's analysis block as JSON: its hash is recorded beside the table "
        "(analysis_record.json) if no earlier collect recorded one",
    )


def run(args: argparse.Namespace) -> None:
    from pipeline import load
    from pipeline.analysis.tables import collect, write_table
    from pipeline.examples import write_gathered

    rows = collect(args.records)
    write_table(rows, args.out)
    print(f"collected {len(rows)} rows into {args.out}")
    if args.examples_out is not None:
        runs = []
        for path in args.records:
            examples = path.with_name(EXAMPLES_FILE)
            if not examples.exists():
                raise load.LoadError(path, f"run record has no {EXAMPLES_FILE} beside it")
            runs.append((load.record(path), examples))
        n = write_gathered(runs, args.examples_out)
        print(f"collected {n} examples of {len(runs)} runs into {args.examples_out}")
    if args.analysis is not None:
        import json

        from pipeline.analysis.options import Analysis
        from pipeline.analysis.provenance import analysis_record

        record = analysis_record(
            args.out.parent, Analysis.from_dict(json.loads(args.analysis)), by="collect"
        )
        print(f"analysis hash {record['recorded_hash']} recorded at {record['recorded_at']}")
