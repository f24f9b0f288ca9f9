"""What the verbs that turn the normalized table into one analysis table share (summarize,
safe-sparsity): their arguments, the inputs they read and the Parquet + CSV they write."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_table_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--table", required=True, type=Path, help="normalized Parquet table")
    p.add_argument("--analysis", default="{}", help="the config's analysis block as JSON")
    p.add_argument("--out", required=True, type=Path, help="Parquet table")
    p.add_argument("--csv", type=Path, help="the same table as CSV (for the report)")


def read(args: argparse.Namespace) -> tuple[Any, Any]:
    """(the normalized table, the analysis options)."""
    import json

    from pipeline import load
    from pipeline.analysis.options import Analysis

    return load.parquet(args.table), Analysis.from_dict(json.loads(args.analysis))


def write(args: argparse.Namespace, table: Any, kind: str) -> None:
    """``table`` to ``--out`` (Parquet, checked as ``kind``) and, if asked, ``--csv``."""
    from pipeline.analysis.tables import write_table
    from pipeline.io import atomic_path

    write_table(table, args.out, kind=kind)
    if args.csv:
        with atomic_path(args.csv) as tmp:
            table.to_csv(tmp, index=False, float_format="%.4g")
