"""Reproduce the paper's Table 1 "Task Difficulty" row from the tasks' human scores and the
config's model scores (not from runs: it is the paper's own across-task difficulty estimate)."""

import argparse
from pathlib import Path

HELP = "across-task difficulty (human - model) / human of the config's reference_scores"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scores", required=True, help="the config's reference_scores block as JSON")
    p.add_argument("--out", required=True, type=Path, help="Parquet table")
    p.add_argument("--csv", type=Path, help="the same table as CSV (for the report)")


def run(args: argparse.Namespace) -> None:
    import json

    from pipeline.analysis.printed_difficulty import printed_difficulty
    from pipeline.io import atomic_path

    table = printed_difficulty(json.loads(args.scores))
    with atomic_path(args.out) as tmp:
        table.to_parquet(tmp, index=False)
    if args.csv:
        with atomic_path(args.csv) as tmp:
            table.to_csv(tmp, index=False, float_format="%.4f")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
