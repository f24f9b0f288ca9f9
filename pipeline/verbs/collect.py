"""Gather one-row JSON records (run records or LMC paths) into one Parquet table."""

import argparse
from pathlib import Path

HELP = "gather JSON records into a Parquet table"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("records", nargs="+", type=Path, help="record files (JSON)")
    p.add_argument("--out", required=True, type=Path, help="Parquet table")


def run(args: argparse.Namespace) -> None:
    from pipeline.analysis.tables import collect, write_table

    rows = collect(args.records)
    write_table(rows, args.out)
    print(f"collected {len(rows)} rows into {args.out}")
