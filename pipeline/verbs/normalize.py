"""Divide each compressed run's metric by the dense run of the same task, cell and seed,
refusing runs whose fine-tuning protocols differ."""

import argparse
from pathlib import Path

HELP = "normalized score = compressed / dense, same task, cell and seed"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--table", required=True, type=Path, help="results Parquet table")
    p.add_argument("--out", required=True, type=Path, help="normalized Parquet table")


def run(args: argparse.Namespace) -> None:
    from pipeline import load
    from pipeline.analysis.tables import normalize, write_table

    write_table(normalize(load.parquet(args.table)), args.out)
