"""Safe sparsity per task: the highest sparsity (per method and mode) whose normalized score
stays within the configured tolerance of dense, with its t interval over seeds."""

import argparse

from pipeline.verbs.analysis_table import add_table_arguments

HELP = "safe sparsity per task and method (Parquet + CSV)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_table_arguments(p)


def run(args: argparse.Namespace) -> None:
    from pipeline.analysis.safe_sparsity import safe_sparsity
    from pipeline.verbs.analysis_table import read, write

    table = safe_sparsity(*read(args))
    write(args, table, kind="safe_sparsity")
    print(table.to_string(index=False))
