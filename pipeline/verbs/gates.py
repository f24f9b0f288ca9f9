"""The difficulty gates table: per task and difficulty level, the dense score against its
chance level (+ 5 SE) and, on tasks that need pre-trained knowledge, against the
from-scratch control (pipeline/analysis/gates.py). CSV for tools, Markdown for the
verdict."""

import argparse
from pathlib import Path

HELP = "headroom of every level: dense vs chance and scratch (CSV + Markdown)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--table", required=True, type=Path, help="results Parquet table")
    p.add_argument("--settings", required=True, help="the config's settings block as JSON")
    p.add_argument("--world", type=Path, help="synthetic world folder (chance levels)")
    p.add_argument(
        "--examples", type=Path, help="examples Parquet table (bootstrap standard errors)"
    )
    p.add_argument(
        "--headroom-se",
        type=float,
        default=5.0,
        help="analysis.headroom_se: a level passes only if dense >= chance + this many SE",
    )
    p.add_argument(
        "--published-tolerance",
        type=float,
        default=0.03,
        help="analysis.published_tolerance: how far below a published dev score fails",
    )
    p.add_argument("--out-csv", required=True, type=Path)
    p.add_argument("--out-md", required=True, type=Path)


def run(args: argparse.Namespace) -> None:
    import json

    import pandas as pd

    from pipeline.analysis.gates import gates_markdown, gates_table
    from pipeline.io import atomic_path

    examples = pd.read_parquet(args.examples) if args.examples else None
    table = gates_table(
        pd.read_parquet(args.table),
        json.loads(args.settings),
        args.world,
        min_headroom_se=args.headroom_se,
        examples=examples,
        published_tolerance=args.published_tolerance,
    )
    with atomic_path(args.out_csv) as tmp:
        table.to_csv(tmp, index=False, float_format="%.4g")
    with atomic_path(args.out_md) as tmp:
        Path(tmp).write_text(gates_markdown(table, args.headroom_se))
    print(table.to_string(index=False))
