"""Draw one figure of the study from its Parquet table (PNG)."""

import argparse
from pathlib import Path

HELP = "draw one figure from a Parquet table"


def add_arguments(p: argparse.ArgumentParser) -> None:
    from pipeline.figures.registry import FIGURES

    p.add_argument("--name", required=True, choices=sorted(FIGURES))
    p.add_argument("--table", required=True, type=Path, help="Parquet table the figure reads")
    p.add_argument("--out", required=True, type=Path, help="PNG file")


def run(args: argparse.Namespace) -> None:
    import pandas as pd

    from pipeline.figures.common import save
    from pipeline.figures.registry import FIGURES

    module, _ = FIGURES[args.name]
    save(module.draw(pd.read_parquet(args.table)), args.out)
