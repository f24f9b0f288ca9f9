"""Safe sparsity per task: the highest sparsity (per method and mode) whose normalized score
stays within the configured tolerance of dense, with its t interval over seeds."""

import argparse
from pathlib import Path

HELP = "safe sparsity per task and method (Parquet + CSV)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--table", required=True, type=Path, help="normalized Parquet table")
    p.add_argument("--analysis", default="{}", help="the config's analysis block as JSON")
    p.add_argument("--out", required=True, type=Path, help="Parquet table")
    p.add_argument("--csv", type=Path, help="the same table as CSV (for the report)")


def run(args: argparse.Namespace) -> None:
    import json

    from pipeline import load
    from pipeline.analysis.options import Analysis
    from pipeline.analysis.safe_sparsity import safe_sparsity
    from pipeline.analysis.tables import write_table
    from pipeline.io import atomic_path

    table = safe_sparsity(load.parquet(args.table), Analysis.from_dict(json.loads(args.analysis)))
    write_table(table, args.out, kind="safe_sparsity")
    if args.csv:
        with atomic_path(args.csv) as tmp:
            table.to_csv(tmp, index=False, float_format="%.4g")
    print(table.to_string(index=False))
