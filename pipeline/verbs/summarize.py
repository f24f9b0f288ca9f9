"""Aggregate the normalized table over seeds: every curve point's mean normalized score and
metric with t intervals over seeds (the numbers behind the figures)."""

import argparse
from pathlib import Path

HELP = "mean over seeds with t intervals, per curve point (Parquet + CSV)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--table", required=True, type=Path, help="normalized Parquet table")
    p.add_argument("--analysis", default="{}", help="the config's analysis block as JSON")
    p.add_argument("--out", required=True, type=Path, help="Parquet table")
    p.add_argument("--csv", type=Path, help="the same table as CSV (for the report)")


def run(args: argparse.Namespace) -> None:
    import json

    from pipeline import load
    from pipeline.analysis.options import Analysis
    from pipeline.analysis.summary import summarize
    from pipeline.analysis.tables import write_table
    from pipeline.io import atomic_path

    table = summarize(load.parquet(args.table), Analysis.from_dict(json.loads(args.analysis)))
    write_table(table, args.out, kind="summary")
    if args.csv:
        with atomic_path(args.csv) as tmp:
            table.to_csv(tmp, index=False, float_format="%.4g")
    print(f"{len(table)} curve points summarized into {args.out}")
