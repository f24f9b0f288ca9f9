"""Draw one figure of the study from its Parquet table (PNG, and PDF when asked)."""

import argparse
from pathlib import Path

HELP = "draw one figure from a Parquet table"


def add_arguments(p: argparse.ArgumentParser) -> None:
    from pipeline.figures.registry import FIGURES

    p.add_argument("--name", required=True, choices=sorted(FIGURES))
    p.add_argument(
        "--table", required=True, type=Path, help="Parquet table (or verdict.json) it reads"
    )
    p.add_argument(
        "--analysis",
        default="{}",
        help="the config's analysis block as JSON (confidence, tolerance, ...)",
    )
    p.add_argument("--out", required=True, type=Path, help="PNG file")
    p.add_argument("--pdf", type=Path, help="PDF file")


def run(args: argparse.Namespace) -> None:
    import json

    from pipeline import load
    from pipeline.analysis.options import Analysis
    from pipeline.figures.common import save
    from pipeline.figures.registry import FIGURES

    figure = FIGURES[args.name]
    analysis = Analysis.from_dict(json.loads(args.analysis))
    # The forest plot reads verdict.json; every other figure a Parquet table.
    table = (
        json.loads(args.table.read_text())
        if args.table.suffix == ".json"
        else load.parquet(args.table)
    )
    save(figure.draw(table, analysis), args.out, args.pdf)
    print(f"{args.name}: {len(figure.data(table, analysis))} rows drawn into {args.out}")
