"""Aggregate the normalized table over seeds: every curve point's mean normalized score and
metric with t intervals over seeds (the numbers behind the figures)."""

import argparse

from pipeline.verbs.analysis_table import add_table_arguments

HELP = "mean over seeds with t intervals, per curve point (Parquet + CSV)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_table_arguments(p)


def run(args: argparse.Namespace) -> None:
    from pipeline.analysis.summary import summarize
    from pipeline.verbs.analysis_table import read, write

    table = summarize(*read(args))
    write(args, table, kind="summary")
    print(f"{len(table)} curve points summarized into {args.out}")
