"""Judge each claim of the hypothesis from the normalized table (and, when given, the
per-example table): effect size under both normalizations, hierarchical bootstrap interval
over seeds and examples, and holds / does not hold / inconclusive (verdict.md + verdict.json)."""

import argparse
from pathlib import Path

HELP = "the study's verdict on each claim (Markdown + JSON)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--table", required=True, type=Path, help="normalized Parquet table")
    p.add_argument(
        "--examples",
        type=Path,
        help="per-example Parquet table (tables/examples.parquet); without it intervals "
        "resample seeds only",
    )
    p.add_argument(
        "--gates",
        type=Path,
        help="difficulty gates CSV (tables/gates.csv): its failed levels leave every claim "
        "and the table becomes the verdict's gates section",
    )
    p.add_argument("--study", required=True, help="study name, for the heading")
    p.add_argument("--analysis", default="{}", help="the config's analysis block as JSON")
    p.add_argument("--out-md", required=True, type=Path)
    p.add_argument("--out-json", required=True, type=Path)


def run(args: argparse.Namespace) -> None:
    import json

    import pandas as pd

    from pipeline import load
    from pipeline.analysis.examples_file import ExamplesFile
    from pipeline.analysis.options import Analysis
    from pipeline.analysis.verdict import markdown, verdict
    from pipeline.io import atomic_path, write_json

    examples = None
    if args.examples:  # read one level at a time by the item bootstrap (examples_file.py)
        examples = ExamplesFile(args.examples)
        try:
            examples.columns  # noqa: B018 (reads the schema: a torn file fails here)
        except (OSError, ValueError) as err:
            raise load.LoadError(args.examples, f"not a readable Parquet table ({err})") from None
    gates = pd.read_csv(args.gates) if args.gates else None
    result = verdict(
        load.parquet(args.table),
        Analysis.from_dict(json.loads(args.analysis)),
        args.study,
        examples,
        gates,
        folder=args.table.parent,
    )
    write_json(args.out_json, result)
    with atomic_path(args.out_md) as tmp:
        tmp.write_text(markdown(result))
    print("\n".join(result["sentences"]))
